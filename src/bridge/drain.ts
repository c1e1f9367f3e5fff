/**
 * Draining a bridge without loss: stop accepting (new connections get `move`), tell every
 * client to move (`move` frame, then close 4010 after a grace period so in-flight acks land),
 * and resolve when the hub is empty or the deadline passes. Clients reconnect through a
 * registry to another bridge and sync from their cursors, so nothing is missed.
 */
import { CLOSE } from "../protocol/frames.ts";
import type { ClientHub } from "./hub.ts";

/** Drains `hub`; `graceMs` between the move notice and the close, `deadlineMs` overall. */
export async function drainHub(hub: ClientHub, graceMs: number, deadlineMs: number): Promise<void> {
  const notice = JSON.stringify({ t: "move", reason: "draining", retryAfterMs: 0 });
  for (const conn of hub.all()) conn.send(notice);
  await new Promise((r) => setTimeout(r, graceMs));
  for (const conn of hub.all()) conn.close(CLOSE.moved, "moved");
  const until = Date.now() + deadlineMs;
  while (hub.size() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
}
