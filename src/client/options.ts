/** Public option, state and event types of {@link MagpieClient}. */
import type { MagpieError } from "../core/errors.ts";
import type { Message } from "../core/types.ts";
import type { PresenceState, ServerFrame } from "../protocol/frames.ts";
import type { BackoffOptions } from "./backoff.ts";
import type { WebSocketCtor } from "./connection.ts";
import type { CursorStore } from "./cursors.ts";
import type { RateLimitOptions } from "./rate_limit.ts";
import type { FetchFn } from "./selector.ts";

/** Connection state, reported by the `state` event. */
export type ClientState = "idle" | "connecting" | "syncing" | "ready" | "reconnecting" | "closed";
/** The `welcome` frame. */
export type Welcome = Extract<ServerFrame, { t: "welcome" }>;
/** A `receipt` frame: someone's delivery/read cursor moved. */
export type ReceiptEvent = Extract<ServerFrame, { t: "receipt" }>;

/** Events of a {@link MagpieClient}. */
export interface ClientEvents extends Record<string, unknown> {
  /** A message, exactly once and in order per conversation (own sends included, once acked). */
  message: Message;
  receipt: ReceiptEvent;
  state: ClientState;
  /** Server error frames without a pending request, connection failures, auth failure. */
  error: MagpieError;
  welcome: Welcome;
  /** A message was recalled by its sender (the `recall` event message is also emitted as `message`). */
  recall: { conv: string; seq: number; by: string };
  /** Another member is typing. */
  typing: { conv: string; user: string };
  /** Presence of subscribed users (the current states on subscribe, then each change). */
  presence: PresenceState[];
  /** This user deleted a message for themselves on another device. */
  deleted: { conv: string; seq: number };
}

/** Options of a {@link MagpieClient}. */
export interface MagpieClientOptions {
  /** Registry base URLs, asked in rotation with failover. */
  registries: string[];
  /** A JWT, or a function returning a fresh one (called on every connect and REST call). */
  token: string | (() => Promise<string>);
  userId: string;
  /** Bridge selection strategy and region, passed to the registry. */
  strategy?: string;
  region?: string;
  /** Where cursors live (default: memory). */
  cursorStore?: CursorStore;
  /** Client-side send rate limit (default 50/s, burst 100, wait); `false` disables it. */
  rateLimit?: RateLimitOptions | false;
  /** Time to wait for an ack before retransmitting (default 5 000 ms). */
  ackTimeoutMs?: number;
  /** Retransmissions of one send before it rejects (default 5). */
  maxRetries?: number;
  /** Ping interval; default the `heartbeatMs` announced in `welcome`. */
  heartbeatMs?: number;
  /** Time from opening the socket to `welcome` (default 10 000 ms). */
  connectTimeoutMs?: number;
  /** Timeout of sync/history requests (default 10 000 ms). */
  requestTimeoutMs?: number;
  /** Messages per sync page (default 500). */
  syncLimit?: number;
  /** Reconnect backoff (full jitter; default base 250 ms, cap 30 s). */
  backoff?: BackoffOptions;
  WebSocketImpl?: WebSocketCtor;
  fetch?: FetchFn;
}
