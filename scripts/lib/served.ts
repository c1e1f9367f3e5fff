/**
 * A child process that announces readiness with a JSON log line `{"msg":"listening","port":N}`
 * (every Magpie role, and the bench baselines): spawn it, keep its recent log lines, wait for
 * the port. Shared by the integration tests (tests/helpers/cluster.ts) and the benchmarks.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

/** The repository root. */
export const ROOT = resolve(import.meta.dir, "../..");

/** A process that logged `{"msg":"listening","port":N}`. */
export interface Served {
  name: string;
  port: number;
  url: string;
  proc: ChildProcess;
  logs: string[];
  pid: number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns `cmd args` and resolves once a `listening` JSON line shows up on stdout or stderr. */
export async function startServed(name: string, cmd: string, args: string[], env: Record<string, string>, timeoutMs = 60_000, maxLines = 2000): Promise<Served> {
  const proc = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  const logs: string[] = [];
  const port = await new Promise<number>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${name} did not start in ${timeoutMs} ms:\n${logs.slice(-20).join("\n")}`)), timeoutMs);
    const onLine = (line: string) => {
      logs.push(line);
      if (logs.length > maxLines) logs.shift();
      if (line.includes('"msg":"listening"')) {
        try {
          clearTimeout(timer);
          res(JSON.parse(line).port as number);
        } catch { /* not JSON */ }
      }
    };
    for (const s of [proc.stdout!, proc.stderr!]) {
      let buf = "";
      s.on("data", (c: Buffer) => {
        buf += c.toString();
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    proc.once("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`${name} exited with ${code} before listening:\n${logs.slice(-30).join("\n")}`));
    });
  });
  return {
    name, port, url: `http://127.0.0.1:${port}`, proc, logs, pid: proc.pid!,
    stop: (signal = "SIGTERM") => new Promise<void>((r) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return r();
      const t = setTimeout(() => proc.kill("SIGKILL"), 5000);
      proc.once("exit", () => {
        clearTimeout(t);
        r();
      });
      proc.kill(signal);
    }),
  };
}

