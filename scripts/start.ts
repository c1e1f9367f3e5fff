/**
 * `npm start`: runs the whole system locally — one registry, one handler, one bridge and the
 * metric dashboard (when present) — each as its own `bun run` process, on the embedded SQLite
 * store by default (data in ./data). With MAGPIE_STORE=cassandra (and the MAGPIE_CASSANDRA_*
 * settings) the same command uses Cassandra. Ctrl-C stops everything.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "..");
const BUN = process.execPath;
const env = process.env;
const host = env.MAGPIE_HOST ?? "127.0.0.1";
const ports = {
  registry: env.MAGPIE_REGISTRY_PORT ?? "7700",
  handler: env.MAGPIE_HANDLER_PORT ?? "7800",
  bridge: env.MAGPIE_BRIDGE_PORT ?? "7900",
  metric: env.MAGPIE_METRIC_PORT ?? "7600",
};
const registries = env.MAGPIE_REGISTRIES ?? `http://${host}:${ports.registry}`;
const verbose = process.argv.includes("--verbose");
const children: ChildProcess[] = [];

function start(role: keyof typeof ports, extra: Record<string, string> = {}): Promise<number> {
  const child = spawn(BUN, ["run", join(ROOT, `src/roles/${role}.ts`)], {
    cwd: ROOT,
    env: { ...env, MAGPIE_PORT: ports[role], MAGPIE_REGISTRIES: registries, MAGPIE_NODE_ID: env[`MAGPIE_${role.toUpperCase()}_ID`] ?? `${role}-1`, ...extra },
    stdio: ["ignore", "inherit", "pipe"],
  });
  children.push(child);
  return new Promise((resolveP, reject) => {
    let buf = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      buf += chunk.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        let parsed: { level?: string; msg?: string; port?: number } | null = null;
        try {
          parsed = JSON.parse(line);
        } catch {
          // a non-JSON line (e.g. a crash trace): always show it
        }
        if (!parsed || verbose || parsed.level === "warn" || parsed.level === "error") process.stderr.write(`[${role}] ${line}\n`);
        if (parsed?.msg === "listening") resolveP(parsed.port ?? Number(ports[role]));
      }
    });
    child.on("exit", (code) => {
      reject(new Error(`${role} exited with status ${code}`));
      if (!stopping) {
        console.error(`magpie: ${role} stopped (status ${code}); stopping the rest`);
        void stopAll(1);
      }
    });
  });
}

let stopping = false;
async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const c of [...children].reverse()) c.kill("SIGTERM");
  await Promise.race([
    Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(0) : c.once("exit", r))))),
    new Promise((r) => setTimeout(r, 12_000)),
  ]);
  process.exit(code);
}
process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));

try {
  await start("registry");
  await start("handler", { MAGPIE_SQLITE_PATH: env.MAGPIE_SQLITE_PATH ?? join(ROOT, "data/magpie.sqlite") });
  await start("bridge");
  const withMetric = existsSync(join(ROOT, "src/roles/metric.ts"));
  if (withMetric) await start("metric", { MAGPIE_DEV_TOKENS: env.MAGPIE_DEV_TOKENS ?? "1" });
  const store = env.MAGPIE_STORE ?? "sqlite";
  console.log(`
Magpie is running (store: ${store}).
  registry   http://${host}:${ports.registry}   (OpenAPI: /openapi.json)
  handler    http://${host}:${ports.handler}
  bridge     ws://${host}:${ports.bridge}/ws${withMetric ? `
  dashboard  http://${host}:${ports.metric}/        web chat: http://${host}:${ports.metric}/chat` : ""}

Chat from two terminals:
  npm run client -- --user alice      then type  /dm bob
  npm run client -- --user bob        then type  /dm alice

Ctrl-C stops everything.`);
} catch (err) {
  console.error(`magpie: failed to start: ${(err as Error).message}`);
  await stopAll(1);
}
