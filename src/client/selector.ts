/**
 * Bridge selection through the registries, with failover. Registries are independent, so any
 * live one can answer; a network error, timeout, 429 or 5xx moves on to the next one in
 * rotation. The registry that answered last is asked first next time.
 */
import { MagpieError, isErrorCode, type ErrorCode } from "../core/errors.ts";

/** The subset of `fetch` the SDK uses (injectable). */
export type FetchFn = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** A bridge as the registry describes it. */
export interface BridgeInfo {
  nodeId: string;
  /** WebSocket URL (`ws://` / `wss://`); its HTTP origin serves the REST API. */
  publicUrl: string;
  region: string;
  zone: string;
}

/** Selection settings. */
export interface SelectorOptions {
  /** Registry base URLs, e.g. `http://127.0.0.1:7000`. */
  registries: readonly string[];
  userId: string;
  /** Strategy name understood by the registries (omitted: the registry's default). */
  strategy?: string;
  /** The client's region (omitted: none). */
  region?: string;
  /** Per-registry request timeout (default 5 000 ms). */
  timeoutMs?: number;
  /** fetch implementation (default global fetch). */
  fetch?: FetchFn;
}

/** Asks registries for a bridge, failing over in rotation. */
export class BridgeSelector {
  private start = 0;

  constructor(private readonly opts: SelectorOptions) {
    if (opts.registries.length === 0) throw new MagpieError("bad_request", "at least one registry is required");
  }

  /**
   * A bridge from the first registry that can give one. Throws `no_bridge_available` when the
   * registries answered but had none, a registry's 4xx code (e.g. `unknown_strategy`) when that
   * is all they said, and `unavailable` when none could be reached.
   */
  async select(): Promise<BridgeInfo> {
    const regs = this.opts.registries;
    const failures: MagpieError[] = [];
    for (let i = 0; i < regs.length; i++) {
      const idx = (this.start + i) % regs.length;
      try {
        const bridge = await this.ask(regs[idx]!);
        this.start = idx;
        return bridge;
      } catch (err) {
        failures.push(err instanceof MagpieError ? err : new MagpieError("unavailable", String(err)));
      }
    }
    this.start = (this.start + 1) % regs.length;
    const pick = (pred: (c: ErrorCode) => boolean) => failures.find((f) => pred(f.code));
    throw pick((c) => c === "no_bridge_available")
      ?? pick((c) => c !== "unavailable" && c !== "rate_limited" && c !== "internal")
      ?? new MagpieError("unavailable", `no registry reachable: ${failures.map((f) => f.message).join("; ")}`);
  }

  private async ask(registry: string): Promise<BridgeInfo> {
    const url = new URL("/v1/bridges/select", registry);
    url.searchParams.set("user", this.opts.userId);
    if (this.opts.strategy) url.searchParams.set("strategy", this.opts.strategy);
    if (this.opts.region) url.searchParams.set("region", this.opts.region);
    const doFetch: FetchFn = this.opts.fetch ?? ((i, r) => fetch(i, r));
    let res: Response;
    try {
      res = await doFetch(url, { signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5_000) });
    } catch (err) {
      throw new MagpieError("unavailable", `${registry}: ${(err as Error)?.message ?? err}`);
    }
    const body = (await res.json().catch(() => null)) as { bridge?: BridgeInfo; error?: { code?: string; message?: string } } | null;
    if (!res.ok) throw errorFromBody(res.status, body, registry);
    const b = body?.bridge;
    if (!b || typeof b.publicUrl !== "string" || !/^wss?:\/\//.test(b.publicUrl)) {
      throw new MagpieError("unavailable", `${registry}: malformed selection answer`);
    }
    return { nodeId: String(b.nodeId), publicUrl: b.publicUrl, region: String(b.region ?? ""), zone: String(b.zone ?? "") };
  }
}

/** A MagpieError from a REST error body `{error:{code,message}}` (or from the status). */
export function errorFromBody(status: number, body: unknown, where = ""): MagpieError {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const prefix = where ? `${where}: ` : "";
  if (e && typeof e.code === "string" && isErrorCode(e.code)) {
    return new MagpieError(e.code, prefix + String(e.message ?? e.code));
  }
  const code: ErrorCode = status === 429 ? "rate_limited" : status === 401 ? "unauthenticated"
    : status === 403 ? "forbidden" : status === 404 ? "not_found" : status >= 500 ? "unavailable" : "bad_request";
  return new MagpieError(code, `${prefix}HTTP ${status}`);
}

/** The HTTP origin of a bridge's WebSocket URL (`ws://h:p/x` → `http://h:p`). */
export function httpOrigin(publicUrl: string): string {
  const u = new URL(publicUrl);
  u.protocol = u.protocol === "wss:" ? "https:" : "http:";
  return u.origin;
}

/** The WebSocket URL to open: `publicUrl` with `?token=`. */
export function socketUrl(publicUrl: string, token: string): string {
  const u = new URL(publicUrl);
  u.searchParams.set("token", token);
  return u.toString();
}
