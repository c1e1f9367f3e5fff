/**
 * Test helper: starts real Magpie role processes (Bun) on loopback with ephemeral ports and
 * reads each one's `{"msg":"listening","port":N}` log line. Used by the metrics integration
 * test and the browser test.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const REPO = join(import.meta.dir, "..", "..");
const BUN = join(REPO, "node_modules", ".bin", "bun");

/** A running role process. */
export interface RoleProc {
  role: string;
  port: number;
  url: string;
  proc: Bun.Subprocess;
  /** stderr lines seen so far (for failure messages). */
  lines: string[];
}

/** Starts `bun run src/roles/<role>.ts` with `env`; resolves once it logs "listening". */
export async function startRole(role: string, env: Record<string, string>, timeoutMs = 20_000): Promise<RoleProc> {
  const proc = Bun.spawn([BUN, "run", join(REPO, "src", "roles", `${role}.ts`)], {
    cwd: REPO,
    env: { ...process.env, MAGPIE_HOST: "127.0.0.1", MAGPIE_PORT: "0", MAGPIE_LOG_LEVEL: "info", ...env },
    stdout: "ignore",
    stderr: "pipe",
  });
  const lines: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${role} did not log "listening" in ${timeoutMs} ms:\n${lines.slice(-20).join("\n")}`)), timeoutMs);
    void (async () => {
      const dec = new TextDecoder();
      let buf = "";
      let found = false;
      for await (const chunk of proc.stderr as ReadableStream<Uint8Array>) {
        buf += dec.decode(chunk, { stream: true });
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (lines.length < 2000) lines.push(line);
          if (found) continue;
          try {
            const j = JSON.parse(line) as { msg?: string; port?: number };
            if (j.msg === "listening" && typeof j.port === "number") {
              found = true;
              clearTimeout(timer);
              resolve(j.port);
            }
          } catch {
            // not JSON
          }
        }
      }
      clearTimeout(timer);
      if (!found) reject(new Error(`${role} exited before listening (code ${await proc.exited}):\n${lines.slice(-20).join("\n")}`));
    })();
  });
  return { role, port, url: `http://127.0.0.1:${port}`, proc, lines };
}

/** A registry, a handler (SQLite in a temp dir) and `bridges` bridges, with fast heartbeats. */
export interface Cluster {
  registry: RoleProc;
  handler: RoleProc;
  bridges: RoleProc[];
  all: RoleProc[];
  stop(): Promise<void>;
}

/** Starts a small cluster; `extra` env applies to every node. */
export async function startCluster(opts: { bridges?: number; extra?: Record<string, string> } = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), "magpie-metrics-"));
  const started: RoleProc[] = [];
  const stop = async () => {
    for (const p of started) p.proc.kill("SIGTERM");
    await Promise.race([Promise.all(started.map((p) => p.proc.exited)), Bun.sleep(5000)]);
    for (const p of started) if (p.proc.exitCode === null) p.proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const registry = await startRole("registry", { MAGPIE_HEARTBEAT_MS: "300", MAGPIE_EXPIRY_MS: "3000", MAGPIE_WARMUP_MS: "0", MAGPIE_SELECT_RATE: "1000", MAGPIE_SELECT_BURST: "1000" });
    started.push(registry);
    const node = { MAGPIE_REGISTRIES: registry.url, MAGPIE_HEARTBEAT_MS: "300", MAGPIE_SNAPSHOT_MS: "2000", ...opts.extra };
    const handler = await startRole("handler", { ...node, MAGPIE_STORE: "sqlite", MAGPIE_SQLITE_PATH: join(dir, "magpie.sqlite"), MAGPIE_ROUTE_CACHE_MS: "0" });
    started.push(handler);
    const bridges: RoleProc[] = [];
    for (let i = 0; i < (opts.bridges ?? 1); i++) {
      const b = await startRole("bridge", { ...node, MAGPIE_HANDLER_REFRESH_MS: "200" });
      started.push(b);
      bridges.push(b);
    }
    return { registry, handler, bridges, all: [...started], stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitUntil<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 15_000, what = "condition"): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v) return v;
      last = undefined;
    } catch (err) {
      last = err;
    }
    await Bun.sleep(100);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

/** Runs `promtool check metrics` on `text`; returns its exit code and output. */
export async function promtoolCheck(text: string): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(["promtool", "check", "metrics"], { stdin: new TextEncoder().encode(text), stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { code, out: out + err };
}
