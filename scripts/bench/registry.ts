/**
 * Registry benchmark: bridge selections/s and route lookups/s on ONE registry instance with
 * 3 bridges and 50k registered clients; load comes from separate worker processes.
 *
 *   node_modules/.bin/bun run scripts/bench/registry.ts [--seconds 5] [--workers 2] [--conns 32]
 *
 * Worker mode (spawned by the main mode): `registry.ts worker '<json spec>'`.
 */
import { type ChildProcess, spawn } from "node:child_process";

const BUN = process.execPath.endsWith("bun") ? process.execPath : "node_modules/.bin/bun";
const SECRET = "bench-secret";

interface Spec { url: string; method: string; body?: string; auth: boolean; conns: number; seconds: number }
interface Result { ok: number; errors: number; lat: number[] }

async function worker(spec: Spec): Promise<void> {
  const end = Date.now() + spec.seconds * 1000;
  const res: Result = { ok: 0, errors: 0, lat: [] };
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (spec.auth) headers.authorization = `Bearer ${SECRET}`;
  await Promise.all(Array.from({ length: spec.conns }, async () => {
    while (Date.now() < end) {
      const t = performance.now();
      try {
        const r = await fetch(spec.url, { method: spec.method, headers, body: spec.body });
        await r.arrayBuffer();
        if (r.ok) res.ok++;
        else res.errors++;
      } catch {
        res.errors++;
      }
      if (res.lat.length < 200_000) res.lat.push(performance.now() - t);
    }
  }));
  console.log(JSON.stringify(res));
}

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : def;
}

async function runLoad(spec: Spec, workers: number): Promise<{ rps: number; errors: number; p50: number; p99: number }> {
  const outs = await Promise.all(Array.from({ length: workers }, () => new Promise<Result>((resolve, reject) => {
    const p = spawn(BUN, ["run", import.meta.path, "worker", JSON.stringify(spec)], { stdio: ["ignore", "pipe", "inherit"] });
    let buf = "";
    p.stdout!.on("data", (d) => (buf += d.toString()));
    p.once("exit", (code) => (code === 0 ? resolve(JSON.parse(buf) as Result) : reject(new Error(`worker exited ${code}`))));
  })));
  const ok = outs.reduce((a, r) => a + r.ok, 0);
  const lat = outs.flatMap((r) => r.lat).sort((a, b) => a - b);
  const q = (p: number) => Math.round((lat[Math.min(lat.length - 1, Math.floor(lat.length * p))] ?? 0) * 100) / 100;
  return { rps: Math.round(ok / spec.seconds), errors: outs.reduce((a, r) => a + r.errors, 0), p50: q(0.5), p99: q(0.99) };
}

async function main(): Promise<void> {
  const seconds = arg("seconds", 5), workers = arg("workers", 2), conns = arg("conns", 32);
  const clientsTotal = arg("clients", 50_000);
  const reg: ChildProcess = spawn(BUN, ["run", "src/roles/registry.ts"], {
    env: {
      ...process.env, MAGPIE_PORT: "0", MAGPIE_CLUSTER_SECRET: SECRET, MAGPIE_EXPIRY_MS: "3600000",
      MAGPIE_SELECT_RATE: "100000000", MAGPIE_SELECT_BURST: "100000000", MAGPIE_LOG_LEVEL: "info",
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const port = await new Promise<number>((resolve) => {
    let buf = "";
    reg.stderr!.on("data", (d) => {
      buf += d.toString();
      const m = /"msg":"listening".*?"port":(\d+)/.exec(buf);
      if (m) resolve(Number(m[1]));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    const per = Math.ceil(clientsTotal / 3);
    for (let b = 1; b <= 3; b++) {
      const clients = Array.from({ length: per }, (_, i) => ({ userId: `u${(b - 1) * per + i}`, deviceId: "d1" }));
      const r = await fetch(`${base}/v1/nodes/register`, {
        method: "POST", headers: { authorization: `Bearer ${SECRET}`, "content-type": "application/json" },
        body: JSON.stringify({
          node: { nodeId: `b${b}`, role: "bridge", version: "bench", publicUrl: `ws://127.0.0.1:9/b${b}`, internalUrl: "http://127.0.0.1:9",
            region: "eu-west", zone: "a", capacity: 1_000_000, load: { connections: per, msgsPerSec: 0 } },
          clients,
        }),
      });
      if (!r.ok) throw new Error(`register failed: ${r.status} ${await r.text()}`);
    }
    const users = (n: number) => JSON.stringify({ users: Array.from({ length: n }, (_, i) => `u${(i * 7919) % (per * 3)}`) });
    const scenarios: [string, Spec][] = [
      ["select least-connections", { url: `${base}/v1/bridges/select?strategy=least-connections`, method: "GET", auth: false, conns, seconds }],
      ["select consistent-hash", { url: `${base}/v1/bridges/select?strategy=consistent-hash&user=u123`, method: "GET", auth: false, conns, seconds }],
      ["select region", { url: `${base}/v1/bridges/select?strategy=region&region=eu-west`, method: "GET", auth: false, conns, seconds }],
      ["lookup 100 users", { url: `${base}/v1/routes/lookup`, method: "POST", body: users(100), auth: true, conns, seconds }],
      ["lookup 1000 users", { url: `${base}/v1/routes/lookup`, method: "POST", body: users(1000), auth: true, conns, seconds }],
    ];
    console.log(`registry bench: 1 registry, 3 bridges, ${per * 3} clients, ${workers} worker processes × ${conns} connections, ${seconds} s each`);
    console.log("| scenario | requests/s | users looked up/s | p50 ms | p99 ms | errors |");
    console.log("|---|---:|---:|---:|---:|---:|");
    for (const [name, spec] of scenarios) {
      const r = await runLoad(spec, workers);
      const n = name.startsWith("lookup") ? Number(name.split(" ")[1]) : 0;
      console.log(`| ${name} | ${r.rps} | ${n ? r.rps * n : "-"} | ${r.p50} | ${r.p99} | ${r.errors} |`);
    }
  } finally {
    reg.kill("SIGTERM");
  }
}

if (process.argv[2] === "worker") await worker(JSON.parse(process.argv[3]!) as Spec);
else await main();
