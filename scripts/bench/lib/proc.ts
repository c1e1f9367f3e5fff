/**
 * Child processes for the bench: role processes (`src/roles/*.ts`, port 0, `listening` log
 * line), baseline servers, and load generators that speak JSON lines (stdout: events,
 * stdin: commands).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dir, "../../..");
export const BUN = join(ROOT, "node_modules/.bin/bun");

export { startServed, type Served } from "../../lib/served.ts";
import { startServed, type Served } from "../../lib/served.ts";

/** Starts a Magpie role. */
export function startRole(role: string, env: Record<string, string>): Promise<Served> {
  // MAGPIE_BENCH_PROF=<dir>: CPU-profile every role (markdown profile written on SIGTERM exit).
  const prof = process.env.MAGPIE_BENCH_PROF ? ["--cpu-prof-md", `--cpu-prof-dir=${process.env.MAGPIE_BENCH_PROF}`, `--cpu-prof-name=${role}-${Date.now()}.md`] : [];
  return startServed(role, BUN, [...prof, "run", join(ROOT, `src/roles/${role}.ts`)], { MAGPIE_PORT: "0", MAGPIE_LOG_LEVEL: "info", ...env });
}

/** Resident memory of a process in KiB (VmRSS from /proc/<pid>/status). */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

/** CPU time (user+sys, seconds) of a process from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, "utf8");
    const rest = f.slice(f.lastIndexOf(")") + 2).split(" ");
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return 0;
  }
}

/** A load generator process (scripts/bench/gen/ws_gen.ts) driven over JSON lines. */
export class Gen {
  readonly proc: ChildProcess;
  private buf = "";
  private waiters: { ev: string; res: (v: any) => void; rej: (e: Error) => void }[] = [];
  private queue: any[] = [];
  readonly errLog: string[] = [];
  onProgress?: (e: any) => void;

  constructor(readonly name: string, spec: unknown) {
    this.proc = spawn(BUN, ["run", join(ROOT, "scripts/bench/gen/ws_gen.ts"), JSON.stringify(spec)], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stdout!.on("data", (c: Buffer) => {
      this.buf += c.toString();
      let i: number;
      while ((i = this.buf.indexOf("\n")) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        let e: any;
        try {
          e = JSON.parse(line);
        } catch {
          continue;
        }
        if (e.ev === "progress") {
          this.onProgress?.(e);
          continue;
        }
        if (e.ev === "fatal") {
          this.errLog.push(String(e.err));
          for (const w of this.waiters.splice(0)) w.rej(new Error(`${name}: ${e.err}`));
          continue;
        }
        const w = this.waiters.findIndex((x) => x.ev === e.ev);
        if (w >= 0) this.waiters.splice(w, 1)[0]!.res(e);
        else this.queue.push(e);
      }
    });
    this.proc.stderr!.on("data", (c: Buffer) => {
      this.errLog.push(c.toString());
      if (this.errLog.length > 50) this.errLog.shift();
    });
    this.proc.once("exit", (code) => {
      for (const w of this.waiters.splice(0)) w.rej(new Error(`${name} exited ${code}: ${this.errLog.join("").slice(-2000)}`));
    });
  }

  /** Waits for the next event named `ev`. */
  wait(ev: string, timeoutMs = 300_000): Promise<any> {
    const q = this.queue.findIndex((x) => x.ev === ev);
    if (q >= 0) return Promise.resolve(this.queue.splice(q, 1)[0]);
    if (this.proc.exitCode !== null) return Promise.reject(new Error(`${this.name} already exited: ${this.errLog.join("").slice(-2000)}`));
    return new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error(`${this.name}: no ${ev} in ${timeoutMs} ms: ${this.errLog.join("").slice(-1500)}`)), timeoutMs);
      this.waiters.push({ ev, res: (v) => { clearTimeout(t); res(v); }, rej: (e) => { clearTimeout(t); rej(e); } });
    });
  }

  send(cmd: unknown): void {
    this.proc.stdin!.write(JSON.stringify(cmd) + "\n");
  }

  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    await new Promise<void>((r) => {
      const t = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
      this.proc.once("exit", () => { clearTimeout(t); r(); });
      try { this.send({ cmd: "exit" }); } catch { this.proc.kill("SIGKILL"); }
    });
  }
}
