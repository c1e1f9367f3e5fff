/**
 * The handler's side of bridge links: which bridges are linked here, which clients each one
 * reported (immediately, over the link), and a {@link Pusher} that sends a frame only to the
 * bridges the recipients are on. Where a user is connected comes from two sources, unioned:
 * the link reports (instant; they make the `welcome`-before-sync guarantee hold) and the
 * registries' route table (cached for `routeTtlMs`).
 */
import type { Logger } from "../core/log.ts";
import type { ClientKey, HandlerToBridge } from "../protocol/link.ts";
import type { ServerFrame } from "../protocol/frames.ts";
import type { Pusher } from "./service.ts";

/** A bridge link's sending side. */
export interface LinkSocket {
  send(text: string): void;
  close(code?: number, reason?: string): void;
}

/** Where users are, from the registries. */
export interface RouteSource {
  lookupRoutes(users: string[]): Promise<Record<string, { bridgeId: string; deviceId: string }[]>>;
}

/** Counters for pushes. */
export interface PushMetrics {
  pushed(bridges: number, users: number): void;
  unlinked(): void;
}

/** Bridge links and direct routing. */
export class LinkHub implements Pusher {
  private readonly links = new Map<string, LinkSocket>();
  /** user → bridge → device count, from link reports. */
  private readonly presence = new Map<string, Map<string, Set<string>>>();
  private readonly routeCache = new Map<string, { bridges: string[]; at: number }>();
  private presenceListener: ((user: string, online: boolean) => void) | undefined;

  constructor(
    private readonly routes: RouteSource | null,
    private readonly routeTtlMs: number,
    private readonly log: Logger,
    private readonly metrics?: PushMetrics,
  ) {}

  /** Called when a user's first device comes online or last device goes offline (link reports). */
  onPresence(cb: (user: string, online: boolean) => void): void {
    this.presenceListener = cb;
  }

  /** True when a linked bridge reported a device of `u`. */
  isOnline(u: string): boolean {
    return this.presence.has(u);
  }

  /** Ids of linked bridges (reported to the registries). */
  linkedBridges(): string[] {
    return [...this.links.keys()];
  }

  /** A bridge said hello: replace what it reported before. */
  attach(bridgeId: string, sock: LinkSocket, clients: ClientKey[]): void {
    const old = this.links.get(bridgeId);
    if (old && old !== sock) old.close(4000, "replaced by a newer link");
    this.dropPresence(bridgeId);
    this.links.set(bridgeId, sock);
    for (const c of clients) this.online(bridgeId, c.u, c.d);
  }

  /** The link closed. */
  detach(bridgeId: string, sock: LinkSocket): void {
    if (this.links.get(bridgeId) !== sock) return;
    this.links.delete(bridgeId);
    this.dropPresence(bridgeId);
  }

  /** A device connected to a bridge. */
  online(bridgeId: string, u: string, d: string): void {
    let byBridge = this.presence.get(u);
    if (!byBridge) {
      this.presence.set(u, (byBridge = new Map()));
      this.presenceListener?.(u, true);
    }
    let devices = byBridge.get(bridgeId);
    if (!devices) byBridge.set(bridgeId, (devices = new Set()));
    devices.add(d);
  }

  /** A device disconnected from a bridge. */
  offline(bridgeId: string, u: string, d: string): void {
    const byBridge = this.presence.get(u);
    const devices = byBridge?.get(bridgeId);
    if (!byBridge || !devices) return;
    devices.delete(d);
    if (devices.size === 0) byBridge.delete(bridgeId);
    if (byBridge.size === 0) {
      this.presence.delete(u);
      this.presenceListener?.(u, false);
    }
  }

  /** Number of users with a link-reported device here. */
  onlineUsers(): number {
    return this.presence.size;
  }

  async push(users: readonly string[], frame: ServerFrame, skip?: { u: string; d: string }): Promise<void> {
    const byBridge = await this.resolve(users);
    if (byBridge.size === 0) return;
    const f = JSON.stringify(frame);
    for (const [bridgeId, to] of byBridge) {
      const sock = this.links.get(bridgeId);
      if (!sock) {
        this.metrics?.unlinked();
        this.log.debug("recipient on an unlinked bridge; sync will deliver", { bridgeId });
        continue;
      }
      const skipPart = skip ? `,"skip":${JSON.stringify(skip)}` : "";
      sock.send(`{"t":"push","to":${JSON.stringify(to)}${skipPart},"f":${f}}`);
    }
    this.metrics?.pushed(byBridge.size, users.length);
  }

  /** Sends a frame to one bridge (answers to requests). */
  reply(bridgeId: string, msg: HandlerToBridge): void {
    this.links.get(bridgeId)?.send(JSON.stringify(msg));
  }

  /** bridge → users on it, from link presence ∪ registry routes. */
  async resolve(users: readonly string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, Set<string>>();
    const add = (bridge: string, u: string) => {
      let s = out.get(bridge);
      if (!s) out.set(bridge, (s = new Set()));
      s.add(u);
    };
    const now = Date.now();
    const missing: string[] = [];
    for (const u of users) {
      const local = this.presence.get(u);
      if (local) for (const b of local.keys()) add(b, u);
      const cached = this.routeCache.get(u);
      if (cached && now - cached.at < this.routeTtlMs) for (const b of cached.bridges) add(b, u);
      else missing.push(u);
    }
    if (missing.length > 0 && this.routes) {
      try {
        for (let i = 0; i < missing.length; i += 10_000) {
          const batch = missing.slice(i, i + 10_000);
          const found = await this.routes.lookupRoutes(batch);
          for (const u of batch) {
            const bridges = [...new Set((found[u] ?? []).map((r) => r.bridgeId))];
            this.cacheRoute(u, bridges, now);
            for (const b of bridges) add(b, u);
          }
        }
      } catch (err) {
        this.log.warn("route lookup failed; using link reports only", { err: String(err) });
      }
    }
    const result = new Map<string, string[]>();
    for (const [b, s] of out) result.set(b, [...s]);
    return result;
  }

  private cacheRoute(u: string, bridges: string[], at: number): void {
    if (this.routeCache.size >= 500_000) this.routeCache.delete(this.routeCache.keys().next().value!);
    this.routeCache.set(u, { bridges, at });
  }

  private dropPresence(bridgeId: string): void {
    for (const [u, byBridge] of this.presence) {
      if (byBridge.delete(bridgeId) && byBridge.size === 0) {
        this.presence.delete(u);
        this.presenceListener?.(u, false);
      }
    }
  }
}
