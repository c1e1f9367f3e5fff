/**
 * The bridge ↔ handler link: one persistent WebSocket per (bridge, handler) pair, opened by the
 * bridge. Internal only; documented in docs/protocol.md ("Internal link").
 */
import type { ClientFrame, ServerFrame } from "./frames.ts";

/** A connected client, as the link reports it. */
export interface ClientKey {
  u: string;
  d: string;
}

/** Bridge → handler frames. */
export type BridgeToHandler =
  | { t: "hello"; bridge: string; secret: string; clients: ClientKey[] }
  | { t: "online"; ref: number; u: string; d: string }
  | { t: "offline"; u: string; d: string }
  | { t: "req"; ref: number; u: string; d: string; f: ClientFrame };

/** Handler → bridge frames. */
export type HandlerToBridge =
  | { t: "welcome"; handler: string }
  | { t: "ok"; ref: number }
  | { t: "res"; ref: number; f: ServerFrame }
  /** Deliver `f` to every local device of the users in `to`, except device `skip` (`u/d`). */
  | { t: "push"; to: string[]; skip?: ClientKey; f: ServerFrame };
