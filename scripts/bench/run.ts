/**
 * Magpie benchmark suite: starts a real cluster (registry, handler on Cassandra, bridge) and
 * load generators in separate processes, runs every scenario, prints progress, writes JSON
 * results and a table in docs/benchmarks.md (between this runner's markers).
 *
 *   npm run bench                    full run
 *   npm run bench -- --quick         short run (< 5 minutes including Cassandra start)
 *   npm run bench -- --only throughput,latency,baselines,fanout,sync,conns,registry
 *   npm run bench -- --no-docs       do not touch docs/benchmarks.md / docs/bench-results.json
 *                                    (--only runs never do, unless --docs is given)
 *
 * Scenarios: (1) persisted 1:1 throughput with a zero-loss check, (2) open-loop latency at fixed
 * rates, (3) connections held by one bridge and RSS per connection, (4) group fan-out,
 * (5) reconnect sync of 10,000 missed messages, (6) registry selection/lookup, (7) baselines:
 * raw Bun relay and Socket.IO relay driven by the same generator as (1).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpus, freemem, loadavg, release, totalmem } from "node:os";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { signUserToken } from "../../src/auth/jwt.ts";
import { Hist } from "./lib/hist.ts";
import { cassCounters, closeCass } from "./lib/cass.ts";
import { BUN, Gen, ROOT, type Served, cpuSeconds, rssKiB, startRole, startServed } from "./lib/proc.ts";

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const QUICK = argv.includes("--quick");
const onlyArg = argv.includes("--only") ? argv[argv.indexOf("--only") + 1]!.split(",") : null;
/** Partial runs (--only) never replace the full/quick tables unless --docs is given. */
const NO_DOCS = argv.includes("--no-docs") || (onlyArg !== null && !argv.includes("--docs"));
const want = (s: string) => !onlyArg || onlyArg.includes(s);
const SECRET = "dev-jwt-secret";
const RUN = Math.random().toString(36).slice(2, 8);
const KEYSPACE = process.env.MAGPIE_BENCH_KEYSPACE ?? "magpie_bench";

/** Scenario sizes per mode. */
const P = QUICK
  ? {
      gens: 2, pairs: 100, window: 16, tputSeconds: 6, rates: [200, 500, 2000, 5000], rateSeconds: 4, backlogS: 1,
      baseSeconds: 4, groups: [1000, 10000], fanoutRepeats: 3, syncCount: 10_000, conns: 10_000, connHoldS: 6,
      registrySeconds: 1,
    }
  : {
      gens: 2, pairs: 100, window: 16, tputSeconds: 20, rates: [200, 500, 2000, 5000], rateSeconds: 15, backlogS: 3,
      baseSeconds: 10, groups: [1000, 10000], fanoutRepeats: 5, syncCount: 10_000, conns: 19_000, connHoldS: 15,
      registrySeconds: 5,
    };

// Overrides: --pairs N --window W --seconds S (throughput/latency/baselines shape).
const num = (k: string) => (argv.includes(`--${k}`) ? Number(argv[argv.indexOf(`--${k}`) + 1]) : undefined);
P.pairs = num("pairs") ?? P.pairs;
P.window = num("window") ?? P.window;
P.tputSeconds = num("seconds") ?? P.tputSeconds;
P.gens = num("gens") ?? P.gens;

/** --bodies noterms: experiment bodies without search-index terms (default: realistic chat lines). */
const BODIES_ARG = argv.includes("--bodies") ? argv[argv.indexOf("--bodies") + 1] : "chat";

const T0 = Date.now();
function say(msg: string): void {
  const s = ((Date.now() - T0) / 1000).toFixed(1).padStart(6);
  console.log(`[${s}s] ${msg}`);
}
const r2 = (x: number) => Math.round(x * 100) / 100;

// ---------------------------------------------------------------- machine

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "?";
  }
}

function machine() {
  return {
    cpuModel: cpus()[0]?.model ?? "?",
    nproc: Number(sh("nproc", [])),
    ramGiB: r2(totalmem() / 2 ** 30),
    freeGiB: r2(freemem() / 2 ** 30),
    kernel: release(),
    bun: sh(BUN, ["--version"]),
    node: sh("node", ["--version"]),
    openFilesHard: Number(sh("bash", ["-c", "ulimit -Hn"])),
    loadavgStart: loadavg().map(r2),
  };
}

// ---------------------------------------------------------------- cluster

interface Cluster {
  registry: Served;
  handler: Served;
  bridge: Served;
  nodeEnv: Record<string, string>;
}

const BRIDGE_ENV = {
  MAGPIE_RATE_PER_SEC: "1000000", MAGPIE_RATE_BURST: "1000000", MAGPIE_CAPACITY: "20000", MAGPIE_IDLE_TIMEOUT_S: "120",
};

async function waitLog(s: Served, needle: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (s.logs.some((l) => l.includes(needle))) return;
    await Bun.sleep(50);
  }
  throw new Error(`${s.name}: no "${needle}" in ${ms} ms:\n${s.logs.slice(-10).join("\n")}`);
}

async function startCluster(): Promise<Cluster> {
  const registry = await startRole("registry", { MAGPIE_SELECT_RATE: "100000000", MAGPIE_SELECT_BURST: "100000000" });
  const nodeEnv = {
    MAGPIE_REGISTRIES: registry.url, MAGPIE_STORE: "cassandra", MAGPIE_CASSANDRA_KEYSPACE: KEYSPACE,
    MAGPIE_CASSANDRA_CONSISTENCY: process.env.MAGPIE_CASSANDRA_CONSISTENCY ?? "ONE", MAGPIE_HANDLER_REFRESH_MS: "500",
  };
  const handler = await startRole("handler", nodeEnv);
  const bridge = await startRole("bridge", { ...nodeEnv, ...BRIDGE_ENV });
  await waitLog(bridge, '"linked to handler"', 30_000);
  return { registry, handler, bridge, nodeEnv };
}

function wsUrl(s: Served, host = "127.0.0.1"): string {
  return `ws://${host}:${s.port}/ws`;
}

// ---------------------------------------------------------------- helpers

/** Spawns `n` generators with `spec` (gid/prefix made unique) and waits until all are ready. */
async function gens(n: number, label: string, spec: (i: number) => Record<string, unknown>): Promise<Gen[]> {
  const gs = Array.from({ length: n }, (_, i) => new Gen(`${label}#${i}`, { secret: SECRET, gid: `g${i}`, ...spec(i) }));
  let last = 0;
  for (const g of gs) {
    g.onProgress = (e) => {
      if (e.connected !== undefined && Date.now() - last > 2000) {
        last = Date.now();
        say(`  ${g.name}: ${e.connected}/${e.of} connected${e.failed ? `, ${e.failed} failed` : ""}`);
      }
    };
  }
  try {
    const ready = await Promise.all(gs.map((g) => g.wait("ready", 600_000)));
    for (const [i, r] of ready.entries()) if (r.failed) say(`  ${gs[i]!.name}: ${r.failed} connections failed ${JSON.stringify(r.errors)}`);
  } catch (e) {
    await Promise.all(gs.map((g) => g.stop()));
    throw e;
  }
  return gs;
}

function mergeHist(rs: any[], key: "ack" | "deliver"): Hist {
  const h = new Hist();
  for (const r of rs) h.merge(Hist.from(r[key]));
  return h;
}

/** Runs one pairs command on every generator; merges the results. */
function cassandraPid(): number {
  try {
    return Number(readFileSync(join(ROOT, ".magpie/cassandra/cassandra.pid"), "utf8").trim());
  } catch {
    return 0;
  }
}

/** CPU seconds of the cluster's processes (and the generators). */
function cpuSnap(c: Cluster | null, gs: Gen[]): Record<string, number> {
  const out: Record<string, number> = { generators: gs.reduce((a, g) => a + cpuSeconds(g.proc.pid!), 0) };
  const cp = cassandraPid();
  if (cp) out.cassandra = cpuSeconds(cp);
  if (c) {
    out.handler = cpuSeconds(c.handler.pid);
    out.bridge = cpuSeconds(c.bridge.pid);
    out.registry = cpuSeconds(c.registry.pid);
  }
  return out;
}

function cpuDiff(a: Record<string, number>, b: Record<string, number>, secs: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(b)) out[k] = r2((b[k]! - (a[k] ?? 0)) / secs);
  return out;
}

async function runPairs(gs: Gen[], cmd: Record<string, unknown>, label: string, c: Cluster | null = null) {
  const cpu0 = cpuSnap(c, gs);
  const cass0 = c ? await cassCounters() : null;
  const tStart = Date.now();
  let lastAcked = 0;
  const progress = new Map<Gen, any>();
  for (const g of gs) g.onProgress = (e) => progress.set(g, e);
  const timer = setInterval(() => {
    let a = 0, d = 0, e = 0, sn = 0, cl = 0;
    for (const p of progress.values()) { a += p.acked; d += p.delivered; e += p.errors; sn += p.sent; cl += p.closed; }
    say(`  ${label}: sent ${sn} acked ${a} (+${a - lastAcked}/s) delivered ${d}${e ? ` errors ${e}` : ""}${cl ? ` CLOSED ${cl}` : ""}`);
    lastAcked = a;
  }, 1000);
  for (const g of gs) g.send({ cmd: "run", ...cmd });
  const rs = await Promise.all(gs.map((g) => g.wait("result", 600_000)));
  clearInterval(timer);
  const cores = cpuDiff(cpu0, cpuSnap(c, gs), (Date.now() - tStart) / 1000);
  if (c) {
    for (const role of [c.handler, c.bridge]) {
      const errs = role.logs.filter((l) => l.includes('"level":"error"') || l.includes('"level":"warn"'));
      if (errs.length) say(`  ${role.name} logged ${errs.length} warnings/errors (last 500 lines kept), e.g.: ${errs[0]!.slice(0, 600)}`);
      role.logs.length = 0;
    }
  }
  const cass1 = cass0 ? await cassCounters() : null;
  const ackedAll = rs.reduce((a, r) => a + r.acked, 0);
  const cassandraPerMsg = cass0 && cass1 && ackedAll > 0 ? {
    requests: r2((cass1.requests - cass0.requests) / ackedAll), mutations: r2((cass1.mutations - cass0.mutations) / ackedAll), reads: r2((cass1.reads - cass0.reads) / ackedAll),
  } : null;
  const sum = (f: (r: any) => number) => rs.reduce((a, r) => a + f(r), 0);
  const winMs = Math.max(...rs.map((r) => r.window_.ms));
  const errors: Record<string, number> = {};
  for (const r of rs) for (const [k, v] of Object.entries(r.errors as Record<string, number>)) errors[k] = (errors[k] ?? 0) + v;
  return {
    sent: sum((r) => r.sent), acked: sum((r) => r.acked), delivered: sum((r) => r.delivered), errors,
    ackedPerSec: Math.round(sum((r) => r.window_.acked) / (winMs / 1000)),
    deliveredPerSec: Math.round(sum((r) => r.window_.delivered) / (winMs / 1000)),
    saturatedAtMs: rs.some((r) => r.saturatedAtMs !== null) ? Math.min(...rs.filter((r) => r.saturatedAtMs !== null).map((r) => r.saturatedAtMs)) : null,
    closed: sum((r) => r.closed), unanswered: sum((r) => r.sent - r.acked - r.errorCount),
    lost: sum((r) => r.totals.lost), duplicates: sum((r) => r.totals.duplicates), unknown: sum((r) => r.unknown),
    deliveredUnacked: sum((r) => r.totals.deliveredUnacked), ackedTotal: sum((r) => r.totals.ackedTotal),
    ack: mergeHist(rs, "ack").summary(), deliver: mergeHist(rs, "deliver").summary(), cores, cassandraPerMsg,
  };
}

async function stopAll(gs: Gen[]): Promise<void> {
  await Promise.all(gs.map((g) => g.stop()));
}

// ---------------------------------------------------------------- scenarios

const results: Record<string, any> = {};

async function pairsGens(target: "magpie" | "relay" | "socketio", url: string, label: string): Promise<Gen[]> {
  return await gens(P.gens, label, (i) => ({ mode: "pairs", target, urls: [url], prefix: `${RUN}${target[0]}${i}x`, pairs: P.pairs, concurrency: 100, bodies: BODIES_ARG }));
}

async function scenarioThroughputAndLatency(c: Cluster): Promise<void> {
  say(`(1) persisted 1:1 throughput: ${P.gens} generator processes × ${P.pairs} pairs, window ${P.window} per sender, ${P.tputSeconds} s`);
  const gs = await pairsGens("magpie", wsUrl(c.bridge), "magpie-pairs");
  try {
    for (const g of gs) g.send({ cmd: "warm" });
    const w = await Promise.all(gs.map((g) => g.wait("warmed", 120_000)));
    say(`  warmed: ${w.reduce((a, x) => a + x.acked, 0)} direct conversations created`);
    if (want("throughput")) {
      const tp = await runPairs(gs, { kind: "closed", window: P.window, seconds: P.tputSeconds }, "throughput", c);
      results.throughput = { ...tp, pairs: P.pairs * P.gens, window: P.window, seconds: P.tputSeconds, generators: P.gens };
      say(`  => ${tp.ackedPerSec} acked msgs/s, ${tp.deliveredPerSec} delivered/s, lost ${tp.lost}, duplicates ${tp.duplicates}, ack p99 ${tp.ack.p99} ms, cores ${JSON.stringify(tp.cores)}, cassandra per msg ${JSON.stringify(tp.cassandraPerMsg)}`);
    }
    if (want("throughput")) {
      // Same, with few busy conversations: more sends per conversation share one LWT group commit.
      const hot = { pairs: Math.max(1, Math.round(P.pairs / 10)), window: P.window * 4 };
      say(`(1b) persisted 1:1 throughput, few busy conversations: ${P.gens} × ${hot.pairs} pairs, window ${hot.window}, ${P.tputSeconds} s`);
      const hg = await gens(P.gens, "magpie-hot", (i) => ({ mode: "pairs", target: "magpie", urls: [wsUrl(c.bridge)], prefix: `${RUN}h${i}x`, pairs: hot.pairs, concurrency: 50, bodies: BODIES_ARG }));
      try {
        for (const g of hg) g.send({ cmd: "warm" });
        await Promise.all(hg.map((g) => g.wait("warmed", 120_000)));
        const tp = await runPairs(hg, { kind: "closed", window: hot.window, seconds: P.tputSeconds }, "throughput-hot", c);
        results.throughputHot = { ...tp, pairs: hot.pairs * P.gens, window: hot.window, seconds: P.tputSeconds, generators: P.gens };
        say(`  => ${tp.ackedPerSec} acked msgs/s, lost ${tp.lost}, duplicates ${tp.duplicates}, ack p50/p99 ${tp.ack.p50}/${tp.ack.p99} ms, cores ${JSON.stringify(tp.cores)}, cassandra per msg ${JSON.stringify(tp.cassandraPerMsg)}`);
      } finally {
        await stopAll(hg);
      }
    }
    if (want("latency")) {
      results.latency = [];
      for (const rate of P.rates) {
        say(`(2) open-loop latency at ${rate} msgs/s for ${P.rateSeconds} s`);
        const r = await runPairs(gs, { kind: "open", rate: rate / P.gens, seconds: P.rateSeconds, maxBacklogS: P.backlogS }, `rate ${rate}`, c);
        results.latency.push({ rate, seconds: P.rateSeconds, achievedPerSec: r.ackedPerSec, ...r });
        say(`  => ack p50/p99/p99.9 ${r.ack.p50}/${r.ack.p99}/${r.ack.p999} ms; deliver ${r.deliver.p50}/${r.deliver.p99}/${r.deliver.p999} ms; lost ${r.lost}, unanswered ${r.unanswered}, closed ${r.closed}, errors ${JSON.stringify(r.errors)}${r.saturatedAtMs !== null ? `; SATURATED: backlog > ${P.backlogS} s of load after ${r.saturatedAtMs} ms, sending stopped` : ""}`);
        await Bun.sleep(1000);
      }
    }
  } finally {
    await stopAll(gs);
  }
}

async function scenarioBaselines(): Promise<void> {
  results.baselines = {};
  const servers: [string, () => Promise<Served>, "relay" | "socketio", (s: Served) => string][] = [
    ["bun-relay", () => startServed("bun-relay", BUN, ["run", "scripts/bench/baselines/bun_relay.ts"], { PORT: "0" }), "relay", (s) => wsUrl(s)],
    ["socketio-relay", () => startServed("socketio-relay", "node", ["scripts/bench/baselines/socketio_relay.mjs"], { PORT: "0" }), "socketio", (s) => s.url],
  ];
  for (const [name, start, target, url] of servers) {
    say(`(7) baseline ${name}: same generator, ${P.gens} × ${P.pairs} pairs, window ${P.window}, ${P.baseSeconds} s`);
    const srv = await start();
    const gs = await pairsGens(target, url(srv), name);
    try {
      for (const g of gs) g.send({ cmd: "warm" });
      await Promise.all(gs.map((g) => g.wait("warmed", 60_000)));
      const r = await runPairs(gs, { kind: "closed", window: P.window, seconds: P.baseSeconds }, name);
      results.baselines[name] = { ...r, serverRssMiB: r2(rssKiB(srv.pid) / 1024) };
      say(`  => ${r.ackedPerSec} acked/s, ${r.deliveredPerSec} delivered/s, lost ${r.lost}`);
    } finally {
      await stopAll(gs);
      await srv.stop();
    }
  }
}

async function openClient(url: string, user: string): Promise<{ ws: WebSocket; frames: any[]; next(t: string, ms?: number): Promise<any> }> {
  const token = await signUserToken(SECRET, user, "d1");
  const ws = new WebSocket(`${url}?token=${token}`);
  const frames: any[] = [];
  const waiters: [string, (f: any) => void][] = [];
  ws.onmessage = (ev) => {
    const f = JSON.parse(String(ev.data));
    const i = waiters.findIndex(([t]) => t === f.t);
    if (i >= 0) waiters.splice(i, 1)[0]![1](f);
    else frames.push(f);
  };
  const next = (t: string, ms = 30_000) => {
    const i = frames.findIndex((f) => f.t === t);
    if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]);
    return new Promise<any>((res, rej) => {
      const timer = setTimeout(() => rej(new Error(`no ${t} frame in ${ms} ms`)), ms);
      waiters.push([t, (f) => { clearTimeout(timer); res(f); }]);
    });
  };
  await next("welcome");
  return { ws, frames, next };
}

async function scenarioFanout(c: Cluster): Promise<void> {
  results.fanout = [];
  for (const size of P.groups) {
    const recipients = size - 1;
    const per = 5000;
    const nGens = Math.ceil(recipients / per);
    say(`(4) group fan-out: ${size} members (${recipients} online recipients over ${nGens} generator processes)`);
    const owner = `${RUN}own${size}`;
    const members: string[] = [];
    for (let g = 0; g < nGens; g++) for (let i = 0; i < Math.min(per, recipients - g * per); i++) members.push(`${RUN}f${size}x${g}m${i}`);
    const token = await signUserToken(SECRET, owner, "d1");
    const res = await fetch(`${c.handler.url}/v1/groups`, {
      method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ title: `bench ${size}`, members }),
    });
    if (!res.ok) throw new Error(`create group: ${res.status} ${await res.text()}`);
    const conv = (await res.json()).conversation.id as string;
    const gs = await gens(nGens, `fanout${size}`, (g) => ({
      mode: "group", target: "magpie", urls: [wsUrl(c.bridge)], prefix: `${RUN}f${size}x${g}m`, count: Math.min(per, recipients - g * per), concurrency: 200,
    }));
    const sender = await openClient(wsUrl(c.bridge), owner);
    const runs: any[] = [];
    try {
      for (let k = 0; k < P.fanoutRepeats; k++) {
        const id = `fan${size}-${k}`;
        for (const g of gs) g.send({ cmd: "expect", id });
        await Promise.all(gs.map((g) => g.wait("armed")));
        const t0 = performance.timeOrigin + performance.now();
        sender.ws.send(JSON.stringify({ t: "send", id, conv, body: `fan-out ${k}` }));
        const ack = await sender.next("ack");
        const tAck = performance.timeOrigin + performance.now() - t0;
        let got: any[];
        try {
          got = await Promise.all(gs.map((g) => g.wait("got", 30_000)));
        } catch {
          for (const g of gs) g.send({ cmd: "status" });
          got = await Promise.all(gs.map((g) => g.wait("status")));
        }
        const n = got.reduce((a, x) => a + x.got, 0);
        const lastAt = Math.max(...got.map((x) => x.lastAt));
        const firstAt = Math.min(...got.map((x) => x.firstAt || Infinity));
        const ms = lastAt - t0;
        runs.push({ seq: ack.seq, ackMs: r2(tAck), firstMs: r2(firstAt - t0), allMs: r2(ms), delivered: n, deliveriesPerSec: Math.round(n / (ms / 1000)) });
        say(`  send ${k + 1}: ack ${r2(tAck)} ms, first ${r2(firstAt - t0)} ms, all ${n}/${recipients} in ${r2(ms)} ms`);
        await Bun.sleep(300);
      }
    } finally {
      sender.ws.close();
      await stopAll(gs);
    }
    const sorted = [...runs].sort((a, b) => a.allMs - b.allMs);
    const med = sorted[Math.floor(sorted.length / 2)];
    results.fanout.push({ size, recipients, runs, medianAllMs: med.allMs, medianDeliveriesPerSec: med.deliveriesPerSec, coldAllMs: runs[0].allMs, allDelivered: runs.every((r) => r.delivered === recipients) });
  }
}

async function scenarioSync(c: Cluster): Promise<void> {
  say(`(5) reconnect sync: ${P.syncCount} missed messages`);
  const [g] = await gens(1, "sync", () => ({ mode: "sync", target: "magpie", urls: [wsUrl(c.bridge)], prefix: `${RUN}sy`, count: P.syncCount, window: 256 }));
  g!.onProgress = (e) => say(`  sync writer: ${e.acked} acked`);
  try {
    const r = await g!.wait("result", 600_000);
    results.sync = r;
    say(`  => wrote ${r.count} at ${r.writeRate}/s; receiver connect ${r.connectMs} ms + sync ${r.syncMs} ms (${r.pages} pages) = ${r.totalMs} ms; got ${r.got}, ordered ${r.ordered}`);
  } finally {
    await g!.stop();
  }
}

/** Opens `target` connections to `srv` from generator processes; RSS of `srv` before/after. */
async function holdConns(label: string, srv: Served, kind: "magpie" | "relay", target: number) {
  const perGen = 5000;
  const nGens = Math.ceil(target / perGen);
  await Bun.sleep(1500);
  const before = rssKiB(srv.pid);
  const t0 = Date.now();
  const gs = await gens(nGens, label, (g) => ({
    mode: "conns", target: kind, urls: [`ws://127.0.0.${2 + (g % 8)}:${srv.port}/ws`], prefix: `${RUN}${label}${g}x`,
    count: Math.min(perGen, target - g * perGen), concurrency: 100, pingMs: 5000,
  }));
  try {
    const connectS = (Date.now() - t0) / 1000;
    say(`  ${label}: generators ready in ${connectS.toFixed(1)} s; holding ${P.connHoldS} s with pings`);
    for (const g of gs) g.send({ cmd: "report" });
    const rep0 = await Promise.all(gs.map((g) => g.wait("report")));
    const samples: number[] = [];
    for (let i = 0; i < P.connHoldS; i++) {
      await Bun.sleep(1000);
      samples.push(rssKiB(srv.pid));
    }
    say(`  ${label}: RSS during hold (MiB): ${samples.map((x) => Math.round(x / 1024)).join(" ")}`);
    for (const g of gs) g.send({ cmd: "report" });
    const rep = await Promise.all(gs.map((g) => g.wait("report")));
    const after = rssKiB(srv.pid);
    const open = rep.reduce((a, r) => a + r.open, 0);
    const pongs = rep.reduce((a, r) => a + r.pongs, 0) - rep0.reduce((a, r) => a + r.pongs, 0);
    return {
      target, open, closedDuringHold: rep.reduce((a, r) => a + r.closed, 0), generators: nGens, connectSeconds: r2(connectS),
      connectPerSec: Math.round(open / connectS), holdSeconds: P.connHoldS, pongsDuringHold: pongs,
      rssBeforeMiB: r2(before / 1024), rssAfterMiB: r2(after / 1024), kibPerConn: r2((after - before) / Math.max(1, open)),
    };
  } finally {
    await stopAll(gs);
  }
}

async function scenarioConns(c: Cluster): Promise<void> {
  const target = P.conns;
  say(`(3) connections: ${target} WebSocket connections to one fresh bridge from ${Math.ceil(target / 5000)} generator processes (destinations 127.0.0.2..), pings every 5 s`);
  const bridge = await startRole("bridge", { ...c.nodeEnv, ...BRIDGE_ENV, MAGPIE_HOST: "0.0.0.0", MAGPIE_CAPACITY: "20000" });
  try {
    await waitLog(bridge, '"linked to handler"', 30_000);
    results.conns = await holdConns("conns", bridge, "magpie", target);
    const r = results.conns;
    say(`  => ${r.open} open, ${r.pongsDuringHold} pongs during hold, bridge RSS ${r.rssBeforeMiB} → ${r.rssAfterMiB} MiB = ${r.kibPerConn} KiB/connection`);
  } finally {
    await bridge.stop("SIGKILL");
  }
  results.connsBaselines = {};
  for (const [name, file] of [["bun-relay", "bun_relay.ts"], ["hono-ws", "hono_ws.ts"]] as const) {
    const srv = await startServed(name, BUN, ["run", `scripts/bench/baselines/${file}`], { PORT: "0", HOST: "0.0.0.0" });
    try {
      const r = await holdConns(name, srv, "relay", target);
      results.connsBaselines[name] = r;
      say(`  => baseline ${name}: ${r.open} open, RSS ${r.rssBeforeMiB} → ${r.rssAfterMiB} MiB = ${r.kibPerConn} KiB/connection`);
    } finally {
      await srv.stop("SIGKILL");
    }
  }
}

async function scenarioRegistry(): Promise<void> {
  say(`(6) registry: scripts/bench/registry.ts --seconds ${P.registrySeconds} --workers 2 --conns 32`);
  const out = spawnSync(BUN, ["run", "scripts/bench/registry.ts", "--seconds", String(P.registrySeconds), "--workers", "2", "--conns", "32"], { cwd: ROOT, encoding: "utf8", timeout: 300_000 });
  const rows = out.stdout.split("\n").filter((l) => /^\| (select|lookup)/.test(l)).map((l) => {
    const c = l.split("|").map((x) => x.trim());
    return { scenario: c[1], rps: Number(c[2]), usersPerSec: c[3] === "-" ? null : Number(c[3]), p50: Number(c[4]), p99: Number(c[5]), errors: Number(c[6]) };
  });
  if (rows.length === 0) throw new Error(`registry bench produced no rows:\n${out.stdout}\n${out.stderr}`);
  results.registry = rows;
  for (const r of rows) say(`  ${r.scenario}: ${r.rps} req/s${r.usersPerSec ? ` (${r.usersPerSec} users/s)` : ""}, p99 ${r.p99} ms`);
}

// ---------------------------------------------------------------- report

function goals() {
  const g: { goal: string; target: string; measured: string; met: boolean | null }[] = [];
  const t = results.throughput;
  const h = results.throughputHot;
  if (t) {
    const best = Math.max(t.ackedPerSec, h?.ackedPerSec ?? 0);
    g.push({
      goal: "persisted 1:1 msgs/s", target: "≥ 10,000",
      measured: `${t.ackedPerSec} over ${t.pairs} conversations${h ? `; ${h.ackedPerSec} over ${h.pairs} busy ones` : ""} (best = ${r2(best / 100)} % of goal)`,
      met: best >= 10000 && t.lost === 0 && (h?.lost ?? 0) === 0,
    });
  }
  const l2 = results.latency?.find((x: any) => x.rate === 2000);
  if (l2) {
    const sat = l2.saturatedAtMs !== null ? ` (saturated: carried ${l2.achievedPerSec}/s)` : "";
    g.push({ goal: "p99 send→ack @ 2,000/s", target: "< 20 ms", measured: `${l2.ack.p99} ms${sat}`, met: l2.ack.p99 < 20 && !sat });
    g.push({ goal: "p99 send→deliver @ 2,000/s", target: "< 50 ms", measured: `${l2.deliver.p99} ms${sat}`, met: l2.deliver.p99 < 50 && !sat });
  }
  if (results.conns) g.push({ goal: "connections on one bridge", target: "19,000 at ≤ 4 KB each", measured: `${results.conns.open} at ${results.conns.kibPerConn} KiB each`, met: results.conns.open >= 19000 && results.conns.kibPerConn <= 4 });
  const f10 = results.fanout?.find((x: any) => x.size === 10000);
  if (f10) g.push({ goal: "10,000-member fan-out", target: "< 1 s", measured: `${f10.medianAllMs} ms (median), ${f10.coldAllMs} ms cold`, met: f10.medianAllMs < 1000 && f10.allDelivered });
  if (results.sync) g.push({ goal: "10,000 missed messages synced", target: "< 1 s", measured: `${results.sync.totalMs} ms`, met: results.sync.totalMs < 1000 && results.sync.got === results.sync.count });
  const b = results.baselines;
  if (t && b?.["socketio-relay"]) {
    const x = t.deliveredPerSec / b["socketio-relay"].deliveredPerSec;
    g.push({ goal: "online delivery vs Socket.IO", target: "≥ 3×", measured: `${r2(x)}×`, met: x >= 3 });
  }
  if (t && b?.["bun-relay"]) {
    const x = t.deliveredPerSec / b["bun-relay"].deliveredPerSec;
    g.push({ goal: "online delivery vs raw Bun relay", target: "≥ 0.3×", measured: `${r2(x)}×`, met: x >= 0.3 });
  }
  return g;
}

function markdown(doc: any): string {
  const m = doc.machine;
  const L: string[] = [];
  const mode = doc.mode;
  L.push(`### Pipeline (${mode} run, ${doc.finishedAt})`, "");
  L.push(`Machine: ${m.nproc} vCPU (\`nproc\` = ${m.nproc}) ${m.cpuModel}, ${m.ramGiB} GiB RAM, Linux ${m.kernel}, Bun ${m.bun}, Node ${m.node}, open files ${m.openFilesHard}/process. ` +
    `Load average at start ${m.loadavgStart.join(" / ")}, at end ${doc.loadavgEnd.join(" / ")} (the 2 cores are shared with Cassandra, every role, the generators${m.loadavgStart[0] > 1 ? " and other engineers' jobs" : ""}).`, "");
  L.push("Command (from the repo root, Cassandra started by the runner if needed):", "", "```", doc.command, "```", "");
  L.push(`Cluster: 1 registry, 1 handler (Cassandra 5.0 single node on the same machine, keyspace \`${KEYSPACE}\`, RF 1, consistency ${doc.consistency}), 1 bridge; rate limit raised to 1e6/s; ` +
    `load generators are separate Bun processes (raw WebSockets, JSON frames; bodies are 5 rotating real-looking chat lines, 39–57 UTF-8 bytes, mixed Chinese/English, ≈ 18 search-index terms each).`, "");
  L.push("| goal | target | measured | met |", "|---|---|---|---|");
  for (const g of doc.goals) L.push(`| ${g.goal} | ${g.target} | ${g.measured} | ${g.met ? "yes" : "**no**"} |`);
  L.push("");
  const t = doc.results.throughput;
  const b = doc.results.baselines ?? {};
  if (t || Object.keys(b).length) {
    L.push("**Online 1:1 delivery, closed loop, same generator** (" + `${doc.params.gens} generator processes × ${doc.params.pairs} sender/receiver pairs, ${doc.params.window} sends in flight per sender):`, "");
    L.push("| system | acked msgs/s | delivered msgs/s | send→ack p50 / p99 ms | send→deliver p50 / p99 ms | lost | dup | Magpie ÷ this |", "|---|---:|---:|---:|---:|---:|---:|---:|");
    const row = (name: string, r: any) => `| ${name} | ${r.ackedPerSec} | ${r.deliveredPerSec} | ${r.ack.p50} / ${r.ack.p99} | ${r.deliver.p50} / ${r.deliver.p99} | ${r.lost} | ${r.duplicates} | ${t ? `${r2(t.deliveredPerSec / r.deliveredPerSec)}×` : "-"} |`;
    if (t) L.push(row("Magpie (persisted, Cassandra)", t));
    if (b["bun-relay"]) L.push(row("raw Bun WebSocket relay (no persistence)", b["bun-relay"]));
    if (b["socketio-relay"]) L.push(row("Socket.IO 4.8 relay on Node (no persistence)", b["socketio-relay"]));
    const h = doc.results.throughputHot;
    if (h) L.push(`| Magpie, few busy conversations (${h.pairs} pairs, ${h.window} in flight each) | ${h.ackedPerSec} | ${h.deliveredPerSec} | ${h.ack.p50} / ${h.ack.p99} | ${h.deliver.p50} / ${h.deliver.p99} | ${h.lost} | ${h.duplicates} | - |`);
    if (t) L.push("", `Zero-loss check after the run: ${t.ackedTotal} acked messages, ${t.lost} never delivered, ${t.duplicates} delivered twice, ${t.deliveredUnacked} delivered without an ack. CPU used during the run (cores, incl. drain): ${Object.entries(t.cores).map(([k, v]) => `${k} ${v}`).join(", ")}.` +
      (t.cassandraPerMsg ? ` Cassandra work per acked message (system_views.thread_pools, shared node): ${t.cassandraPerMsg.requests} client requests, ${t.cassandraPerMsg.mutations} mutations, ${t.cassandraPerMsg.reads} reads` +
        (h?.cassandraPerMsg ? `; with few busy conversations ${h.cassandraPerMsg.requests} / ${h.cassandraPerMsg.mutations} / ${h.cassandraPerMsg.reads}.` : ".") : ""));
    L.push("");
  }
  if (doc.results.latency) {
    L.push(`**Latency, open loop** (${doc.params.gens} × ${doc.params.pairs} pairs, sends on a fixed schedule spread over the pairs, latency measured from the scheduled send time so queueing counts; a run stops early when more than ${doc.params.backlogS} s of load is waiting for acks):`, "");
    L.push("| rate msgs/s | achieved acks/s | send→ack p50 / p99 / p99.9 ms | send→deliver p50 / p99 / p99.9 ms | lost | unanswered | error frames | saturated |", "|---:|---:|---:|---:|---:|---:|---|---|");
    for (const r of doc.results.latency) L.push(`| ${r.rate} | ${r.achievedPerSec} | ${r.ack.p50} / ${r.ack.p99} / ${r.ack.p999} | ${r.deliver.p50} / ${r.deliver.p99} / ${r.deliver.p999} | ${r.lost} | ${r.unanswered ?? "-"} | ${Object.entries(r.errors as Record<string, number>).map(([k, v]) => `${k} ${v}`).join(", ") || "0"} | ${r.saturatedAtMs !== null ? `yes: backlog > ${doc.params.backlogS} s of load after ${(r.saturatedAtMs / 1000).toFixed(1)} s, sending stopped` : "no"} |`);
    L.push("");
  }
  if (doc.results.fanout) {
    L.push("**Group fan-out** (all members online on one bridge; one message; time from send until the last member has it):", "");
    L.push("| members | recipients | cold (1st send) ms | median ms | median deliveries/s | ack ms (median run) | all delivered |", "|---:|---:|---:|---:|---:|---:|---|");
    for (const f of doc.results.fanout) {
      const med = [...f.runs].sort((a: any, b: any) => a.allMs - b.allMs)[Math.floor(f.runs.length / 2)];
      L.push(`| ${f.size} | ${f.recipients} | ${f.coldAllMs} | ${f.medianAllMs} | ${f.medianDeliveriesPerSec} | ${med.ackMs} | ${f.allDelivered ? "yes" : "**no**"} |`);
    }
    L.push("");
  }
  if (doc.results.sync) {
    const s = doc.results.sync;
    L.push(`**Reconnect sync**: ${s.count} messages written while the receiver was offline (at ${s.writeRate} msgs/s, one sender, 256 in flight); the receiver then connects with an empty cursor: connect + welcome ${s.connectMs} ms, sync ${s.syncMs} ms in ${s.pages} pages of ≤ 1000 → **${s.totalMs} ms** total; got ${s.got}/${s.count}, in order: ${s.ordered}.`, "");
  }
  if (doc.results.conns) {
    const c = doc.results.conns;
    L.push(`**Connections**: ${c.open} of ${c.target} WebSocket connections open on one fresh bridge (${c.generators} generator processes, ≤ 5,000 sockets each, destination addresses 127.0.0.2…), connected in ${c.connectSeconds} s (${c.connectPerSec}/s incl. JWT check and handler online-ack); ` +
      `${c.pongsDuringHold} app-level pongs during the ${c.holdSeconds} s hold, ${c.closedDuringHold} closed.`, "");
    L.push("| server | open | RSS before → after MiB | KiB per connection |", "|---|---:|---:|---:|");
    L.push(`| Magpie bridge | ${c.open} | ${c.rssBeforeMiB} → ${c.rssAfterMiB} | **${c.kibPerConn}** |`);
    const cb = doc.results.connsBaselines ?? {};
    if (cb["hono-ws"]) L.push(`| minimal Hono + hono/bun WebSocket server (scripts/bench/baselines/hono_ws.ts) | ${cb["hono-ws"].open} | ${cb["hono-ws"].rssBeforeMiB} → ${cb["hono-ws"].rssAfterMiB} | ${cb["hono-ws"].kibPerConn} |`);
    if (cb["bun-relay"]) L.push(`| raw Bun.serve WebSocket relay | ${cb["bun-relay"].open} | ${cb["bun-relay"].rssBeforeMiB} → ${cb["bun-relay"].rssAfterMiB} | ${cb["bun-relay"].kibPerConn} |`);
    L.push("");
  }
  if (doc.results.registry) {
    L.push("**Registry** (one instance, `scripts/bench/registry.ts`, 2 worker processes × 32 connections, 50k registered clients):", "");
    L.push("| scenario | requests/s | users looked up/s | p50 ms | p99 ms |", "|---|---:|---:|---:|---:|");
    for (const r of doc.results.registry) L.push(`| ${r.scenario} | ${r.rps} | ${r.usersPerSec ?? "-"} | ${r.p50} | ${r.p99} |`);
    L.push("");
  }
  L.push(`Raw results: \`docs/bench-results.json\` (key \`${mode}\`) and \`scripts/bench/results/\`. Runner wall time ${Math.round(doc.wallSeconds)} s.`);
  return L.join("\n");
}

function writeDocs(doc: any): void {
  const file = join(ROOT, "docs/benchmarks.md");
  const tag = doc.mode === "quick" ? "pipeline-quick" : "pipeline";
  const start = `<!-- bench:${tag}:start -->`, end = `<!-- bench:${tag}:end -->`;
  let md = existsSync(file) ? readFileSync(file, "utf8") : "# Benchmarks\n";
  const block = `${start}\n${markdown(doc)}\n${end}`;
  const i = md.indexOf(start), j = md.indexOf(end);
  if (i >= 0 && j > i) md = md.slice(0, i) + block + md.slice(j + end.length);
  else md = md.trimEnd() + `\n\n${block}\n`;
  writeFileSync(file, md);
  const jf = join(ROOT, "docs/bench-results.json");
  const all = existsSync(jf) ? JSON.parse(readFileSync(jf, "utf8")) : {};
  all[doc.mode] = doc;
  writeFileSync(jf, JSON.stringify(all, null, 2) + "\n");
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  const m = machine();
  say(`magpie bench (${QUICK ? "quick" : "full"}), run ${RUN}: ${m.nproc} vCPU, ${m.ramGiB} GiB, Linux ${m.kernel}, Bun ${m.bun}, Node ${m.node}, load ${m.loadavgStart.join(" ")}`);
  const needCluster = ["throughput", "latency", "fanout", "sync", "conns"].some(want);
  let c: Cluster | null = null;
  try {
    if (needCluster) {
      if (await cassCounters()) say("cassandra: a node already answers CQL on 127.0.0.1:9042 — using it");
      else {
        say("cassandra: bash scripts/cassandra.sh start");
        const st = spawnSync("bash", ["scripts/cassandra.sh", "start"], { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"], timeout: 400_000 });
        if (st.status !== 0) throw new Error("cassandra did not start");
      }
      say("starting registry, handler (cassandra), bridge");
      c = await startCluster();
      say(`cluster up: registry :${c.registry.port}, handler :${c.handler.port}, bridge :${c.bridge.port}`);
    }
    if (c && (want("throughput") || want("latency"))) await scenarioThroughputAndLatency(c);
    if (want("baselines")) await scenarioBaselines();
    if (c && want("fanout")) await scenarioFanout(c);
    if (c && want("sync")) await scenarioSync(c);
    if (c && want("conns")) await scenarioConns(c);
    if (want("registry")) await scenarioRegistry();
  } finally {
    if (c) await Promise.all([c.bridge, c.handler, c.registry].map((s) => s.stop(process.env.MAGPIE_BENCH_PROF ? "SIGTERM" : "SIGKILL")));
    await closeCass();
  }
  const doc = {
    mode: QUICK ? "quick" : "full", run: RUN, finishedAt: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    command: `npm run bench${QUICK ? " -- --quick" : ""}${onlyArg ? ` --only ${onlyArg.join(",")}` : ""}`,
    consistency: process.env.MAGPIE_CASSANDRA_CONSISTENCY ?? "ONE",
    machine: m, loadavgEnd: loadavg().map(r2), wallSeconds: (Date.now() - T0) / 1000, params: { ...P, bodyBytes: 100 },
    results, goals: goals(),
  };
  mkdirSync(join(ROOT, "scripts/bench/results"), { recursive: true });
  const out = join(ROOT, `scripts/bench/results/${doc.mode}-${doc.finishedAt.replace(/[:]/g, "")}.json`);
  writeFileSync(out, JSON.stringify(doc, null, 2) + "\n");
  if (!NO_DOCS) writeDocs(doc);
  say(`results: ${out}${NO_DOCS ? "" : ", docs/bench-results.json, docs/benchmarks.md"}`);
  if (QUICK && doc.wallSeconds > 300) say(`WARNING: quick run took ${Math.round(doc.wallSeconds)} s (budget 300 s)`);
  console.log("\n" + markdown(doc));
}

await main();
process.exit(0);
