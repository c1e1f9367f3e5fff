/**
 * The node side of registration, used by bridges and handlers. It heartbeats to EVERY
 * configured registry concurrently and independently: each registry has its own delta
 * sequence, pending changes and backoff, so one registry being down or slow never delays
 * the others. Web-standard `fetch` only (no runtime globals).
 *
 * Per registry: register with a full snapshot → heartbeat every `heartbeatMs` with load and
 * the client changes since the last acknowledged beat (`seq` = previous + 1). A full snapshot
 * is sent when the registry asks (`wantSnapshot`) and at least every `snapshotEveryMs`; after
 * any failed beat (its effect is unknown) the node re-registers with a full snapshot, and
 * `404 unknown_node` re-registers at once. A failing registry is retried with capped backoff
 * (≤ half a snapshot period by default), so a restarted one converges within one period.
 */
import type { Logger } from "../core/log.ts";
import type { ClientRefT, HeartbeatResponseT, NodeInfoT } from "./schemas.ts";

/** Options of {@link createRegistrationClient}. */
export interface RegistrationClientOptions {
  /** Registry base URLs, e.g. `http://10.0.0.1:7000`. */
  registries: string[];
  /** The cluster secret (sent as bearer token). */
  secret: string;
  heartbeatMs: number;
  snapshotEveryMs: number;
  /** Current node info (called on every beat). */
  node: () => NodeInfoT;
  /** Handlers: bridges currently linked to this node. */
  linkedBridges?: () => string[];
  log: Logger;
  /** Per-request timeout; default max(1000, 2 × heartbeatMs) capped at 10 s. */
  requestTimeoutMs?: number;
  /** Longest wait between attempts to a failing registry; default min(snapshotEveryMs / 2, 8 × heartbeatMs). */
  maxBackoffMs?: number;
  /** Injected fetch (tests). */
  fetch?: typeof fetch;
}

/** Connection state towards one registry, for inspection. */
export interface LinkStatus {
  url: string;
  registered: boolean;
  failures: number;
  seq: number;
}

/** A running registration client. */
export interface RegistrationClient {
  start(): void;
  /** Stops heartbeating and deregisters from every registry (best effort, bounded time). */
  stop(): Promise<void>;
  clients: {
    add(userId: string, deviceId: string): void;
    remove(userId: string, deviceId: string): void;
    /** Number of connected devices. */
    readonly size: number;
  };
  /** Called once when any registry reports this node draining. */
  onDraining(cb: () => void): void;
  readonly draining: boolean;
  status(): LinkStatus[];
}

class HttpError extends Error {
  constructor(readonly status: number, readonly code: string | undefined, message: string) {
    super(message);
  }
}

interface Link {
  url: string;
  registered: boolean;
  seq: number;
  /** Changes since the last acknowledged beat: key → true (added) / false (removed). */
  pending: Map<string, boolean>;
  needFull: boolean;
  lastFullAt: number;
  failures: number;
  /** Consecutive `unknown_node` answers (the first re-registers at once). */
  unknownStreak: number;
  timer?: ReturnType<typeof setTimeout>;
  inflight?: AbortController;
  running?: Promise<void>;
}

const SEP = "\u0000";

/** Creates a registration client; call `start()` to begin. */
export function createRegistrationClient(opts: RegistrationClientOptions): RegistrationClient {
  const doFetch = opts.fetch ?? fetch;
  const timeoutMs = opts.requestTimeoutMs ?? Math.min(10_000, Math.max(1000, 2 * opts.heartbeatMs));
  const maxBackoff = opts.maxBackoffMs ??
    Math.max(opts.heartbeatMs, Math.min(opts.snapshotEveryMs / 2, 8 * opts.heartbeatMs));
  const current = new Map<string, Set<string>>();
  let size = 0;
  let draining = false;
  let stopped = true;
  const drainCbs: (() => void)[] = [];
  const links: Link[] = opts.registries.map((u) => ({
    url: u.replace(/\/+$/, ""), registered: false, seq: 0, pending: new Map(), needFull: true, lastFullAt: 0, failures: 0, unknownStreak: 0,
  }));

  const snapshot = (): ClientRefT[] => {
    const out: ClientRefT[] = [];
    for (const [userId, ds] of current) for (const deviceId of ds) out.push({ userId, deviceId });
    return out;
  };
  const nodeInfo = (): NodeInfoT => {
    const n = opts.node();
    return draining && !n.draining ? { ...n, draining: true } : n;
  };
  const linked = () => (opts.linkedBridges ? { linkedBridges: opts.linkedBridges() } : {});

  async function call(link: Link, method: string, path: string, body?: unknown): Promise<HeartbeatResponseT> {
    const ac = new AbortController();
    link.inflight = ac;
    const t = setTimeout(() => ac.abort(), timeoutMs);
    try {
      const res = await doFetch(link.url + path, {
        method,
        headers: { authorization: `Bearer ${opts.secret}`, ...(body ? { "content-type": "application/json" } : {}) },
        body: body ? JSON.stringify(body) : undefined,
        signal: ac.signal,
      });
      const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } } & HeartbeatResponseT;
      if (!res.ok) throw new HttpError(res.status, json.error?.code, json.error?.message ?? `HTTP ${res.status}`);
      return json;
    } finally {
      clearTimeout(t);
      link.inflight = undefined;
    }
  }

  function noteDraining(r: HeartbeatResponseT): void {
    if (!r.draining || draining) return;
    draining = true;
    opts.log.warn("registry reports this node draining");
    for (const cb of drainCbs) {
      try {
        cb();
      } catch (e) {
        opts.log.error("onDraining callback failed", { err: String(e) });
      }
    }
  }

  async function register(link: Link): Promise<void> {
    const full = snapshot();
    link.pending = new Map();
    const seq = link.seq + 1;
    const r = await call(link, "POST", "/v1/nodes/register", { node: nodeInfo(), clients: full, seq, ...linked() });
    link.registered = true;
    link.seq = seq;
    link.needFull = false;
    link.lastFullAt = Date.now();
    opts.log.info("registered", { registry: link.url, clients: full.length });
    noteDraining(r);
  }

  async function heartbeat(link: Link): Promise<void> {
    const now = Date.now();
    const seq = link.seq + 1;
    let clients: Record<string, unknown> | undefined;
    let ops: Map<string, boolean> | undefined;
    const full = link.needFull || now - link.lastFullAt >= opts.snapshotEveryMs;
    if (full) {
      clients = { seq, full: snapshot() };
      link.pending = new Map();
    } else if (link.pending.size > 0) {
      ops = link.pending;
      link.pending = new Map();
      const added: ClientRefT[] = [];
      const removed: ClientRefT[] = [];
      for (const [k, add] of ops) {
        const i = k.indexOf(SEP);
        (add ? added : removed).push({ userId: k.slice(0, i), deviceId: k.slice(i + 1) });
      }
      clients = { seq, added, removed };
    }
    try {
      const r = await call(link, "POST", "/v1/nodes/heartbeat", { node: nodeInfo(), ...(clients ? { clients } : {}), ...linked() });
      if (clients) link.seq = seq;
      if (full) {
        link.needFull = false;
        link.lastFullAt = now;
      }
      if (r.wantSnapshot) link.needFull = true;
      noteDraining(r);
    } catch (e) {
      // The registry may or may not have applied this beat: resynchronise with a snapshot.
      link.needFull = true;
      throw e;
    }
  }

  function backoff(failures: number): number {
    const base = Math.min(maxBackoff, opts.heartbeatMs * 2 ** Math.min(failures - 1, 16));
    return Math.round(base * (0.75 + Math.random() * 0.25));
  }

  async function beat(link: Link): Promise<void> {
    let delay = opts.heartbeatMs;
    try {
      if (!link.registered) await register(link);
      else await heartbeat(link);
      link.failures = 0;
      link.unknownStreak = 0;
    } catch (e) {
      // Either way the next successful contact is a full register (the registry may have
      // restarted empty, and a failed beat's effect is unknown).
      link.registered = false;
      if (e instanceof HttpError && e.code === "unknown_node") {
        opts.log.info("registry does not know this node; re-registering", { registry: link.url });
        delay = link.unknownStreak++ === 0 ? 0 : opts.heartbeatMs;
      } else {
        link.failures++;
        delay = backoff(link.failures);
        const level = link.failures === 1 || link.failures % 20 === 0 ? "warn" : "debug";
        opts.log[level]("registry beat failed", { registry: link.url, failures: link.failures, err: String((e as Error)?.message ?? e), retryInMs: delay });
      }
    }
    if (!stopped) link.timer = setTimeout(() => run(link), delay);
  }

  function run(link: Link): void {
    if (stopped) return;
    link.running = beat(link);
  }

  function record(userId: string, deviceId: string, add: boolean): void {
    const key = userId + SEP + deviceId;
    for (const l of links) l.pending.set(key, add);
  }

  return {
    start() {
      if (!stopped) return;
      stopped = false;
      for (const l of links) run(l);
    },
    async stop() {
      stopped = true;
      for (const l of links) {
        clearTimeout(l.timer);
        l.inflight?.abort();
      }
      await Promise.allSettled(links.map((l) => l.running));
      await Promise.allSettled(links.map(async (l) => {
        try {
          await call(l, "DELETE", `/v1/nodes/${encodeURIComponent(opts.node().nodeId)}`);
        } catch (e) {
          opts.log.debug("deregister failed", { registry: l.url, err: String(e) });
        }
        l.registered = false;
      }));
    },
    clients: {
      add(userId, deviceId) {
        let s = current.get(userId);
        if (!s) current.set(userId, (s = new Set()));
        if (s.has(deviceId)) return;
        s.add(deviceId);
        size++;
        record(userId, deviceId, true);
      },
      remove(userId, deviceId) {
        const s = current.get(userId);
        if (!s || !s.delete(deviceId)) return;
        if (s.size === 0) current.delete(userId);
        size--;
        record(userId, deviceId, false);
      },
      get size() {
        return size;
      },
    },
    onDraining(cb) {
      drainCbs.push(cb);
      if (draining) cb();
    },
    get draining() {
      return draining;
    },
    status() {
      return links.map((l) => ({ url: l.url, registered: l.registered, failures: l.failures, seq: l.seq }));
    },
  };
}
