/**
 * Magpie client SDK: web-standard APIs only (WebSocket, fetch, crypto, timers), for Bun,
 * Node ≥ 22, Deno and browsers. Start with {@link MagpieClient}.
 */
export { MagpieClient } from "./client.ts";
export type { ClientEvents, ClientState, MagpieClientOptions, ReceiptEvent, Welcome } from "./options.ts";
export type { Ack, PendingSend } from "./outbox.ts";
export { MemoryCursorStore, type CursorStore } from "./cursors.ts";
export { SendLimiter, TokenBucket, type RateLimitOptions } from "./rate_limit.ts";
export { Backoff, fullJitter, type BackoffOptions } from "./backoff.ts";
export { BridgeSelector, httpOrigin, socketUrl, type BridgeInfo, type FetchFn, type SelectorOptions } from "./selector.ts";
export { Sequencer, type Page, type SequencerDeps, type SequencerStats } from "./sequencer.ts";
export type { CreateGroupOptions, HistoryQuery, MemberPage } from "./rest.ts";
export type { WebSocketCtor } from "./connection.ts";
