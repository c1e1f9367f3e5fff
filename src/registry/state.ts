/**
 * In-memory registry state: live nodes and the user → bridge → devices route index.
 *
 * Guarantees: every mutating call validates first and then applies completely (a rejected
 * heartbeat changes nothing). A node not heard from for `expiryMs` is treated as gone at once
 * by every read and removed with its routes by {@link RegistryState.sweep}. Client deltas are
 * applied only in sequence (`seq` = previous + 1); anything else asks for a full snapshot.
 */
import { MagpieError } from "../core/errors.ts";
import type { Candidate } from "./strategies.ts";
import type {
  ClientRefT, HeartbeatBodyT, NodeInfoT, NodeViewT, RegisterBodyT, SummaryResponseT,
} from "./schemas.ts";

interface NodeEntry {
  info: NodeInfoT;
  lastSeen: number;
  adminDraining: boolean;
  /** userId → devices; each Set is shared with the route index. */
  clients: Map<string, Set<string>>;
  clientCount: number;
  /** Last applied client delta seq; null until a snapshot with a seq was received. */
  seq: number | null;
  linkedBridges?: string[];
  /** Selections made since the last load report (keeps least-connections from herding). */
  pending: number;
}

/** Outcome of a register or heartbeat. */
export interface BeatResult {
  draining: boolean;
  wantSnapshot: boolean;
}

/** The registry's whole in-memory state. */
export class RegistryState {
  private readonly nodes = new Map<string, NodeEntry>();
  private readonly routes = new Map<string, Map<string, Set<string>>>();

  constructor(readonly expiryMs: number) {}

  /** Replaces everything known about the node with this snapshot. Admin drain is kept. */
  register(body: RegisterBodyT, now: number): BeatResult {
    const id = body.node.nodeId;
    const old = this.nodes.get(id);
    const keepDrain = !!old && this.live(old, now) && old.adminDraining;
    if (old) this.remove(id);
    const e: NodeEntry = {
      info: body.node, lastSeen: now, adminDraining: keepDrain, clients: new Map(), clientCount: 0,
      seq: body.seq ?? null, linkedBridges: body.linkedBridges, pending: 0,
    };
    this.nodes.set(id, e);
    if (body.clients) this.replaceClients(e, body.clients);
    return { draining: this.draining(e), wantSnapshot: false };
  }

  /** Applies a heartbeat; throws `unknown_node` for an unknown, expired or re-roled node. */
  heartbeat(body: HeartbeatBodyT, now: number): BeatResult {
    const id = body.node.nodeId;
    const e = this.nodes.get(id);
    if (!e || !this.live(e, now) || e.info.role !== body.node.role) {
      if (e && !this.live(e, now)) this.remove(id);
      throw new MagpieError("unknown_node", `node ${id} is not registered here (register with a full snapshot)`);
    }
    e.info = body.node;
    e.lastSeen = now;
    e.pending = 0;
    if (body.linkedBridges) e.linkedBridges = body.linkedBridges;
    let wantSnapshot = false;
    const c = body.clients;
    if (c?.full) {
      this.replaceClients(e, c.full);
      e.seq = c.seq;
    } else if (c) {
      if (e.seq !== null && c.seq === e.seq + 1) {
        for (const r of c.removed ?? []) this.removeClient(e, r.userId, r.deviceId);
        for (const a of c.added ?? []) this.addClient(e, a.userId, a.deviceId);
        e.seq = c.seq;
      } else {
        wantSnapshot = true;
      }
    }
    return { draining: this.draining(e), wantSnapshot };
  }

  /** Removes a node and its routes at once; false when it was unknown. */
  remove(nodeId: string): boolean {
    const e = this.nodes.get(nodeId);
    if (!e) return false;
    this.dropClients(nodeId, e);
    this.nodes.delete(nodeId);
    return true;
  }

  /** Marks a live node draining; false when it is unknown. */
  drain(nodeId: string, now: number): boolean {
    const e = this.nodes.get(nodeId);
    if (!e || !this.live(e, now)) return false;
    e.adminDraining = true;
    return true;
  }

  /** Removes every node not heard from within the expiry; returns the removed nodes. */
  sweep(now: number): NodeInfoT[] {
    const gone: NodeInfoT[] = [];
    for (const [id, e] of this.nodes) {
      if (!this.live(e, now)) {
        gone.push(e.info);
        this.remove(id);
      }
    }
    return gone;
  }

  /** Live nodes, optionally of one role, sorted by node id. */
  list(now: number, role?: "bridge" | "handler"): NodeViewT[] {
    const out: NodeViewT[] = [];
    for (const e of this.nodes.values()) {
      if (!this.live(e, now) || (role && e.info.role !== role)) continue;
      out.push({
        ...e.info, lastSeenMs: e.lastSeen, draining: this.draining(e), clientCount: e.clientCount,
        ...(e.linkedBridges ? { linkedBridges: e.linkedBridges } : {}),
      });
    }
    return out.sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
  }

  /** Where each user is connected (live bridges only); users with no route are absent. */
  lookup(users: readonly string[], now: number): Record<string, { bridgeId: string; deviceId: string }[]> {
    const out: Record<string, { bridgeId: string; deviceId: string }[]> = Object.create(null);
    for (const u of users) {
      const m = this.routes.get(u);
      if (!m) continue;
      let arr: { bridgeId: string; deviceId: string }[] | undefined;
      for (const [bridgeId, devices] of m) {
        const b = this.nodes.get(bridgeId);
        if (!b || !this.live(b, now)) continue;
        for (const deviceId of devices) (arr ??= []).push({ bridgeId, deviceId });
      }
      if (arr) out[u] = arr;
    }
    return out;
  }

  /** Live bridges as selection candidates. */
  candidates(now: number): Candidate[] {
    const out: Candidate[] = [];
    for (const e of this.nodes.values()) {
      if (e.info.role !== "bridge" || !this.live(e, now)) continue;
      out.push({
        nodeId: e.info.nodeId, publicUrl: e.info.publicUrl, region: e.info.region, zone: e.info.zone,
        capacity: e.info.capacity, draining: this.draining(e), connections: e.info.load.connections + e.pending,
      });
    }
    return out;
  }

  /** Records that a client was just sent to `nodeId` (counts until its next load report). */
  noteSelected(nodeId: string): void {
    const e = this.nodes.get(nodeId);
    if (e) e.pending++;
  }

  /** Cluster statistics for Metric and admins. */
  summary(registryId: string, now: number): SummaryResponseT {
    const nodes = { bridge: { live: 0, draining: 0 }, handler: { live: 0, draining: 0 } };
    let totalConnections = 0, totalMsgsPerSec = 0, routedDevices = 0;
    const bridges: SummaryResponseT["bridges"] = [];
    for (const v of this.list(now)) {
      nodes[v.role].live++;
      if (v.draining) nodes[v.role].draining++;
      if (v.role === "bridge") {
        totalConnections += v.load.connections;
        routedDevices += v.clientCount;
        bridges.push({
          nodeId: v.nodeId, region: v.region, zone: v.zone, connections: v.load.connections,
          capacity: v.capacity, msgsPerSec: v.load.msgsPerSec, clientCount: v.clientCount, draining: v.draining,
        });
      }
      totalMsgsPerSec += v.load.msgsPerSec;
    }
    return { registryId, nodes, totalConnections, totalMsgsPerSec, routedUsers: this.routes.size, routedDevices, bridges };
  }

  /** Number of users with at least one route (including not yet swept nodes). */
  get routedUsers(): number {
    return this.routes.size;
  }

  private live(e: NodeEntry, now: number): boolean {
    return now - e.lastSeen < this.expiryMs;
  }

  private draining(e: NodeEntry): boolean {
    return e.adminDraining || e.info.draining === true;
  }

  private replaceClients(e: NodeEntry, list: readonly ClientRefT[]): void {
    this.dropClients(e.info.nodeId, e);
    if (e.info.role !== "bridge") return;
    for (const c of list) this.addClient(e, c.userId, c.deviceId);
  }

  private addClient(e: NodeEntry, userId: string, deviceId: string): void {
    if (e.info.role !== "bridge") return;
    let set = e.clients.get(userId);
    if (!set) {
      set = new Set();
      e.clients.set(userId, set);
      let m = this.routes.get(userId);
      if (!m) this.routes.set(userId, (m = new Map()));
      m.set(e.info.nodeId, set);
    }
    if (!set.has(deviceId)) {
      set.add(deviceId);
      e.clientCount++;
    }
  }

  private removeClient(e: NodeEntry, userId: string, deviceId: string): void {
    const set = e.clients.get(userId);
    if (!set || !set.delete(deviceId)) return;
    e.clientCount--;
    if (set.size > 0) return;
    e.clients.delete(userId);
    const m = this.routes.get(userId);
    m?.delete(e.info.nodeId);
    if (m && m.size === 0) this.routes.delete(userId);
  }

  private dropClients(nodeId: string, e: NodeEntry): void {
    for (const userId of e.clients.keys()) {
      const m = this.routes.get(userId);
      m?.delete(nodeId);
      if (m && m.size === 0) this.routes.delete(userId);
    }
    e.clients = new Map();
    e.clientCount = 0;
  }
}
