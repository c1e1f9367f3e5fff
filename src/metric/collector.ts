/**
 * The metric role's poller: every `pollMs` it asks each registry for its summary and node list
 * (admin token), scrapes every listed node's `/metrics` (and each registry's), and turns the
 * samples into a {@link ClusterView}: totals, rates over `rateWindowMs`, latency percentiles over
 * `latencyWindowMs` from histogram deltas, and a bounded history for the charts.
 */
import type { Logger } from "../core/log.ts";
import { addBuckets, bucketDelta, buckets, parsePromText, quantile, sum, type Sample } from "./promtext.ts";
import type { ClusterView, HistoryPoint, NodeViewM, Percentiles, RegistryView } from "./view.ts";

type FetchFn = (input: string, init?: RequestInit) => Promise<Response>;

/** Options of the collector. */
export interface CollectorOptions {
  registries: string[];
  adminToken: string;
  pollMs: number;
  rateWindowMs?: number;
  latencyWindowMs?: number;
  historyPoints?: number;
  log: Logger;
  fetch?: FetchFn;
}

interface Listed {
  nodeId: string;
  role: "bridge" | "handler";
  region: string;
  zone: string;
  publicUrl?: string;
  internalUrl: string;
  metricsUrl?: string;
  capacity: number;
  draining: boolean;
  load: { connections: number; msgsPerSec: number };
}

interface Snap {
  at: number;
  samples: Sample[];
}


/** Polls the cluster and keeps the latest view and a history. */
export class ClusterCollector {
  private readonly snaps = new Map<string, Snap[]>();
  private readonly points: HistoryPoint[] = [];
  private latest: ClusterView;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private bridges = new Map<string, Listed>();
  private readonly doFetch: FetchFn;

  constructor(private readonly opts: CollectorOptions) {
    this.doFetch = opts.fetch ?? ((i, r) => fetch(i, r));
    this.latest = this.build([], [], new Map());
  }

  /** Polls now and then every `pollMs`. */
  start(): void {
    const loop = async () => {
      if (this.stopped) return;
      try {
        await this.poll();
      } catch (err) {
        this.opts.log.warn("poll failed", { err: String(err) });
      }
      if (!this.stopped) this.timer = setTimeout(loop, this.opts.pollMs);
    };
    void loop();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** The latest view. */
  view(): ClusterView {
    return this.latest;
  }

  /** Chart history, oldest first. */
  history(): HistoryPoint[] {
    return this.points;
  }

  /** Live bridges by node id (publicUrl, internalUrl), for the chat page's proxy. */
  liveBridges(): ReadonlyMap<string, { publicUrl?: string; internalUrl: string }> {
    return this.bridges;
  }

  /** One polling round. */
  async poll(): Promise<ClusterView> {
    const at = Date.now();
    const auth = { authorization: `Bearer ${this.opts.adminToken}` };
    const regs = await Promise.all(this.opts.registries.map(async (url): Promise<{ view: RegistryView; nodes: Listed[] }> => {
      const t0 = performance.now();
      try {
        const [summary, list] = await Promise.all([
          this.json<{ registryId: string; nodes: Record<string, { live: number }>; totalConnections: number }>(new URL("/v1/admin/summary", url).toString(), auth),
          this.json<{ nodes: Listed[] }>(new URL("/v1/nodes", url).toString(), auth),
        ]);
        const view: RegistryView = {
          url, up: true, registryId: summary.registryId, latencyMs: Math.round(performance.now() - t0),
          bridges: summary.nodes.bridge?.live ?? 0, handlers: summary.nodes.handler?.live ?? 0, connections: summary.totalConnections,
        };
        return { view, nodes: list.nodes };
      } catch (err) {
        return { view: { url, up: false, error: String((err as Error)?.message ?? err) }, nodes: [] };
      }
    }));
    const nodes = new Map<string, Listed>();
    for (const r of regs) for (const n of r.nodes) if (!nodes.has(n.nodeId)) nodes.set(n.nodeId, n);
    this.bridges = new Map([...nodes.values()].filter((n) => n.role === "bridge").map((n) => [n.nodeId, n]));

    const errors = new Map<string, string>();
    const targets: [string, string][] = [
      ...[...nodes.values()].map((n): [string, string] => [n.nodeId, n.metricsUrl ?? `${n.internalUrl.replace(/\/$/, "")}/metrics`]),
      ...this.opts.registries.map((u): [string, string] => [`registry:${u}`, new URL("/metrics", u).toString()]),
    ];
    await Promise.all(targets.map(async ([id, url]) => {
      try {
        const res = await this.doFetch(url, { signal: AbortSignal.timeout(Math.max(500, this.opts.pollMs - 200)) });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        this.record(id, { at, samples: parsePromText(await res.text()) });
      } catch (err) {
        errors.set(id, String((err as Error)?.message ?? err));
      }
    }));
    for (const id of [...this.snaps.keys()]) if (!targets.some(([t]) => t === id)) this.snaps.delete(id);

    this.latest = this.build(regs.map((r) => r.view), [...nodes.values()], errors, at);
    this.points.push(this.point(this.latest));
    if (this.points.length > (this.opts.historyPoints ?? 300)) this.points.shift();
    return this.latest;
  }

  private async json<T>(url: string, headers: Record<string, string>): Promise<T> {
    const res = await this.doFetch(url, { headers, signal: AbortSignal.timeout(Math.max(500, this.opts.pollMs - 200)) });
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    return (await res.json()) as T;
  }

  private record(id: string, s: Snap): void {
    let list = this.snaps.get(id);
    if (!list) this.snaps.set(id, (list = []));
    list.push(s);
    const keep = Math.max(this.rateWindow, this.latencyWindow) + this.opts.pollMs * 2;
    while (list.length > 2 && s.at - list[0]!.at > keep) list.shift();
  }

  private get rateWindow(): number {
    return this.opts.rateWindowMs ?? Math.max(this.opts.pollMs * 3, 5000);
  }

  private get latencyWindow(): number {
    return this.opts.latencyWindowMs ?? 60_000;
  }

  /** Latest and the oldest snapshot within `windowMs` of it. */
  private pair(id: string, windowMs: number): { now?: Snap; then?: Snap } {
    const list = this.snaps.get(id);
    if (!list || list.length === 0) return {};
    const now = list[list.length - 1]!;
    const then = list.find((s) => now.at - s.at <= windowMs && s !== now);
    return { now, then };
  }

  /** Per-second rate of counter `name` on node `id` over the rate window. */
  private rate(id: string, name: string, match: Record<string, string> = {}): number {
    const { now, then } = this.pair(id, this.rateWindow);
    if (!now || !then || now.at === then.at) return 0;
    const d = sum(now.samples, name, match) - sum(then.samples, name, match);
    return d > 0 ? d / ((now.at - then.at) / 1000) : 0;
  }

  /** Windowed histogram buckets of `name` on node `id` (cumulative when no older snapshot). */
  private hist(id: string, name: string, match: Record<string, string> = {}): Map<number, number> {
    const { now, then } = this.pair(id, this.latencyWindow);
    if (!now) return new Map();
    return bucketDelta(buckets(now.samples, name, match), then ? buckets(then.samples, name, match) : undefined);
  }

  private build(registries: RegistryView[], listed: Listed[], errors: Map<string, string>, at = Date.now()): ClusterView {
    const pct = (b: Map<number, number>): Percentiles => {
      const ms = (q: number) => {
        const v = quantile(q, b);
        return v === null ? null : Math.round(v * 100_000) / 100;
      };
      return { p50: ms(0.5), p95: ms(0.95), p99: ms(0.99) };
    };
    const sendAck = new Map<number, number>(), push = new Map<number, number>();
    const sw = new Map<number, number>(), sr = new Map<number, number>();
    const errorsByCode: Record<string, number> = {};
    let connections = 0, messages = 0, dedupe = 0, msgsPerSec = 0, pushesPerSec = 0, errorsPerSec = 0, opsPerSec = 0;
    const nodes: NodeViewM[] = listed.map((n) => {
      const snap = this.snaps.get(n.nodeId)?.at(-1);
      const up = !errors.has(n.nodeId) && snap !== undefined && snap.at === at;
      const s = snap?.samples ?? [];
      const v: NodeViewM = {
        nodeId: n.nodeId, role: n.role, region: n.region, zone: n.zone,
        metricsUrl: n.metricsUrl ?? `${n.internalUrl}/metrics`, up, draining: n.draining, capacity: n.capacity,
        connections: 0, msgsPerSec: 0, errorsPerSec: 0, p99Ms: null, error: errors.get(n.nodeId),
      };
      if (n.role === "bridge") {
        v.connections = up ? sum(s, "magpie_bridge_connections") : n.load.connections;
        v.msgsPerSec = up ? this.rate(n.nodeId, "magpie_bridge_frames_in_total", { type: "send" }) : n.load.msgsPerSec;
        v.errorsPerSec = this.rate(n.nodeId, "magpie_bridge_rejected_total");
        const h = this.hist(n.nodeId, "magpie_bridge_push_latency_seconds");
        v.p99Ms = pct(h).p99;
        addBuckets(push, h);
        connections += v.connections;
        pushesPerSec += this.rate(n.nodeId, "magpie_bridge_push_frames_total");
        errorsPerSec += v.errorsPerSec;
        for (const x of s) if (x.name === "magpie_bridge_rejected_total") errorsByCode[x.labels.code ?? "?"] = (errorsByCode[x.labels.code ?? "?"] ?? 0) + x.value;
      } else {
        v.connections = sum(s, "magpie_handler_linked_bridges");
        v.msgsPerSec = this.rate(n.nodeId, "magpie_handler_sends_total");
        v.errorsPerSec = this.rate(n.nodeId, "magpie_handler_errors_total");
        const h = this.hist(n.nodeId, "magpie_handler_op_seconds", { op: "send" });
        v.p99Ms = pct(h).p99;
        addBuckets(sendAck, h);
        addBuckets(sw, this.hist(n.nodeId, "magpie_handler_store_write_seconds"));
        addBuckets(sr, this.hist(n.nodeId, "magpie_handler_store_read_seconds"));
        const d = sum(s, "magpie_handler_dedupe_hits_total");
        messages += sum(s, "magpie_handler_sends_total") - d;
        dedupe += d;
        msgsPerSec += v.msgsPerSec;
        errorsPerSec += v.errorsPerSec;
        opsPerSec += this.rate(n.nodeId, "magpie_handler_op_seconds_count");
        for (const x of s) if (x.name === "magpie_handler_errors_total") errorsByCode[x.labels.code ?? "?"] = (errorsByCode[x.labels.code ?? "?"] ?? 0) + x.value;
      }
      return v;
    });
    for (const r of registries) {
      const id = `registry:${r.url}`;
      if (!r.up || errors.has(id)) continue;
      r.heartbeatsPerSec = round(this.rate(id, "magpie_registry_heartbeats_total"));
      r.selectionsPerSec = round(this.rate(id, "magpie_registry_selections_total"));
    }
    nodes.sort((a, b) => a.role.localeCompare(b.role) || a.nodeId.localeCompare(b.nodeId));
    const denom = opsPerSec + errorsPerSec;
    return {
      at, pollMs: this.opts.pollMs, windowMs: this.latencyWindow,
      totals: {
        registriesUp: registries.filter((r) => r.up).length, registries: registries.length,
        bridges: nodes.filter((n) => n.role === "bridge").length, handlers: nodes.filter((n) => n.role === "handler").length,
        connections, messages, msgsPerSec: round(msgsPerSec), pushesPerSec: round(pushesPerSec), errorsPerSec: round(errorsPerSec),
        errorRate: denom > 0 ? round(errorsPerSec / denom, 4) : 0, dedupeHits: dedupe,
      },
      latency: { sendAck: pct(sendAck), push: pct(push), storeWrite: pct(sw), storeRead: pct(sr) },
      registries, nodes, errorsByCode,
    };
  }

  private point(v: ClusterView): HistoryPoint {
    const l = v.latency;
    return {
      t: v.at, connections: v.totals.connections, msgsPerSec: v.totals.msgsPerSec, pushesPerSec: v.totals.pushesPerSec,
      errorsPerSec: v.totals.errorsPerSec, sendAckP50: l.sendAck.p50, sendAckP99: l.sendAck.p99, pushP50: l.push.p50,
      pushP99: l.push.p99, storeWriteP99: l.storeWrite.p99, storeReadP99: l.storeRead.p99,
    };
  }
}

function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

