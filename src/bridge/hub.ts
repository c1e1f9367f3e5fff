/**
 * The bridge's local connections: who is connected here, on which device. One connection per
 * (user, device): a newer connection replaces an older one (closed with 4000).
 */
import type { ClientKey } from "../protocol/link.ts";

/** A client connection as the hub sees it. */
export interface ClientConn {
  readonly id: number;
  readonly userId: string;
  readonly deviceId: string;
  send(text: string): void;
  close(code: number, reason: string): void;
}

/** Local connection registry and fan-out. */
export class ClientHub {
  private readonly byUser = new Map<string, Map<string, ClientConn>>();
  private count = 0;

  /** Adds a connection; returns the connection it replaced, if any. */
  add(conn: ClientConn): ClientConn | undefined {
    let devices = this.byUser.get(conn.userId);
    if (!devices) this.byUser.set(conn.userId, (devices = new Map()));
    const old = devices.get(conn.deviceId);
    devices.set(conn.deviceId, conn);
    if (!old) this.count++;
    return old;
  }

  /** Removes a connection if it is still the current one for its device; true when removed. */
  remove(conn: ClientConn): boolean {
    const devices = this.byUser.get(conn.userId);
    if (!devices || devices.get(conn.deviceId) !== conn) return false;
    devices.delete(conn.deviceId);
    if (devices.size === 0) this.byUser.delete(conn.userId);
    this.count--;
    return true;
  }

  /** Sends `text` to every local device of `users`, except `skip`; returns sockets written. */
  deliver(users: readonly string[], text: string, skip?: ClientKey): number {
    let n = 0;
    for (const u of users) {
      const devices = this.byUser.get(u);
      if (!devices) continue;
      for (const [d, conn] of devices) {
        if (skip && skip.u === u && skip.d === d) continue;
        conn.send(text);
        n++;
      }
    }
    return n;
  }

  /** Number of open connections. */
  size(): number {
    return this.count;
  }

  /** Every connected (user, device). */
  snapshot(): ClientKey[] {
    const out: ClientKey[] = [];
    for (const [u, devices] of this.byUser) for (const d of devices.keys()) out.push({ u, d });
    return out;
  }

  /** Every connection (for drain and shutdown). */
  all(): ClientConn[] {
    const out: ClientConn[] = [];
    for (const devices of this.byUser.values()) out.push(...devices.values());
    return out;
  }
}
