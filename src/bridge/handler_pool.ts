/**
 * The bridge's persistent links to every live handler. Handlers are discovered through the
 * registries; a conversation's frames go to the handler chosen by rendezvous hashing of the
 * conversation id over the ready links, so one conversation is ordered by one handler at a time.
 * Answers (`res`) are routed back to the requesting connection; `push` frames fan out locally.
 */
import { MagpieError } from "../core/errors.ts";
import { rendezvous } from "../core/hash.ts";
import type { Logger } from "../core/log.ts";
import { errorFrame, type ClientFrame } from "../protocol/frames.ts";
import type { BridgeToHandler, ClientKey, HandlerToBridge } from "../protocol/link.ts";
import type { ClientConn, ClientHub } from "./hub.ts";

/** A handler as listed by the registries. */
export interface HandlerRef {
  nodeId: string;
  internalUrl: string;
}

interface Link {
  ref: HandlerRef;
  ws: WebSocket;
  ready: boolean;
  /** request ref → requesting connection */
  pending: Map<number, { conn: ClientConn; cref?: string }>;
  acks: Map<number, () => void>;
  closed: boolean;
  attempts: number;
}

/** Options of the pool. */
export interface HandlerPoolOptions {
  bridgeId: string;
  clusterSecret: string;
  listHandlers: () => Promise<HandlerRef[]>;
  refreshMs: number;
  onlineAckTimeoutMs: number;
  log: Logger;
  onPush?: (sockets: number) => void;
}

/** Links to handlers. */
export class HandlerPool {
  private readonly links = new Map<string, Link>();
  private nextRef = 1;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(private readonly hub: ClientHub, private readonly opts: HandlerPoolOptions) {}

  /** Discovers handlers now and then every `refreshMs`. */
  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.opts.refreshMs);
  }

  /** Closes every link. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    for (const l of this.links.values()) this.closeLink(l);
  }

  /** Ids of handlers with a ready link. */
  linked(): string[] {
    return [...this.links.values()].filter((l) => l.ready).map((l) => l.ref.nodeId);
  }

  /** The internal base URL of a ready handler for `key` (REST proxying), or undefined. */
  urlFor(key: string): string | undefined {
    return this.pick(key)?.ref.internalUrl;
  }

  /** Forwards a client frame to the handler owning `key`; the answer goes to `conn`. */
  forward(key: string, conn: ClientConn, f: ClientFrame): void {
    const link = this.pick(key);
    const cref = f.t === "send" ? f.id : "ref" in f ? f.ref : undefined;
    if (!link) {
      conn.send(JSON.stringify(errorFrame(new MagpieError("unavailable", "no handler reachable; retry"), cref)));
      return;
    }
    const ref = this.nextRef++;
    // Receipts and typing signals have no answer; everything else waits for a `res`.
    if (f.t !== "receipt" && f.t !== "typing") link.pending.set(ref, { conn, cref });
    this.sendOn(link, { t: "req", ref, u: conn.userId, d: conn.deviceId, f });
  }

  /** Tells every linked handler a device is here; resolves once all acknowledged (or timed out). */
  async online(u: string, d: string): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const link of this.links.values()) {
      if (!link.ready) continue; // a link that becomes ready later sends the full client list
      const ref = this.nextRef++;
      waits.push(new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          link.acks.delete(ref);
          resolve();
        }, this.opts.onlineAckTimeoutMs);
        link.acks.set(ref, () => {
          clearTimeout(timer);
          resolve();
        });
      }));
      this.sendOn(link, { t: "online", ref, u, d });
    }
    await Promise.all(waits);
  }

  /** Tells every linked handler a device left. */
  offline(u: string, d: string): void {
    for (const link of this.links.values()) if (link.ready) this.sendOn(link, { t: "offline", u, d });
  }

  private pick(key: string): Link | undefined {
    const ready: string[] = [];
    for (const l of this.links.values()) if (l.ready) ready.push(l.ref.nodeId);
    const id = rendezvous(key, ready);
    return id === undefined ? undefined : this.links.get(id);
  }

  private async refresh(): Promise<void> {
    if (this.stopped) return;
    let handlers: HandlerRef[];
    try {
      handlers = await this.opts.listHandlers();
    } catch (err) {
      this.opts.log.warn("handler discovery failed; keeping current links", { err: String(err) });
      return;
    }
    const live = new Set(handlers.map((h) => h.nodeId));
    for (const [id, link] of this.links) {
      if (!live.has(id)) {
        this.opts.log.info("handler left; unlinking", { handler: id });
        this.closeLink(link);
        this.links.delete(id);
      }
    }
    for (const h of handlers) {
      const cur = this.links.get(h.nodeId);
      if (!cur || (cur.closed && cur.ref.internalUrl !== h.internalUrl)) this.open(h, 0);
    }
  }

  private open(ref: HandlerRef, attempts: number): void {
    const url = ref.internalUrl.replace(/^http/, "ws").replace(/\/$/, "") + "/link";
    const ws = new WebSocket(url);
    const link: Link = { ref, ws, ready: false, pending: new Map(), acks: new Map(), closed: false, attempts };
    this.links.set(ref.nodeId, link);
    ws.onopen = () => {
      const clients: ClientKey[] = this.hub.snapshot();
      ws.send(JSON.stringify({ t: "hello", bridge: this.opts.bridgeId, secret: this.opts.clusterSecret, clients }));
    };
    ws.onmessage = (ev) => this.onMessage(link, String(ev.data));
    ws.onerror = () => {};
    ws.onclose = () => this.onClose(link);
  }

  private onMessage(link: Link, text: string): void {
    let msg: HandlerToBridge;
    try {
      msg = JSON.parse(text) as HandlerToBridge;
    } catch {
      this.opts.log.warn("malformed frame from handler", { handler: link.ref.nodeId });
      return;
    }
    switch (msg.t) {
      case "welcome":
        link.ready = true;
        link.attempts = 0;
        this.opts.log.info("linked to handler", { handler: link.ref.nodeId });
        return;
      case "ok":
        link.acks.get(msg.ref)?.();
        link.acks.delete(msg.ref);
        return;
      case "res": {
        const p = link.pending.get(msg.ref);
        link.pending.delete(msg.ref);
        p?.conn.send(JSON.stringify(msg.f));
        return;
      }
      case "push": {
        const n = this.hub.deliver(msg.to, JSON.stringify(msg.f), msg.skip);
        this.opts.onPush?.(n);
        return;
      }
    }
  }

  private onClose(link: Link): void {
    const wasReady = link.ready;
    link.ready = false;
    link.closed = true;
    for (const { conn, cref } of link.pending.values()) {
      conn.send(JSON.stringify(errorFrame(new MagpieError("unavailable", "handler link lost; retry"), cref)));
    }
    link.pending.clear();
    for (const ack of link.acks.values()) ack();
    link.acks.clear();
    if (this.stopped || this.links.get(link.ref.nodeId) !== link) return;
    if (wasReady) this.opts.log.warn("handler link closed; reconnecting", { handler: link.ref.nodeId });
    const delay = Math.min(5000, 100 * 2 ** Math.min(link.attempts, 6)) * (0.5 + Math.random() / 2);
    setTimeout(() => {
      if (!this.stopped && this.links.get(link.ref.nodeId) === link) this.open(link.ref, link.attempts + 1);
    }, delay);
  }

  private sendOn(link: Link, msg: BridgeToHandler): void {
    if (link.ws.readyState === WebSocket.OPEN) link.ws.send(JSON.stringify(msg));
  }

  private closeLink(link: Link): void {
    link.closed = true;
    try {
      link.ws.close(1000, "bye");
    } catch {
      // already closed
    }
  }
}
