/**
 * Wire protocol v1: JSON frames over WebSocket, each an object with a `t` (type) field.
 * Client frames are validated with these zod schemas at the bridge; a frame that fails is
 * answered with an `error` frame (`malformed_frame` / `unknown_frame`) and the connection lives
 * on. The full description is docs/protocol.md. Room for a binary encoding later: frames are
 * plain data, the codec is one function pair ({@link decodeClientFrame} / JSON.stringify).
 */
import { z } from "zod";
import { MagpieError, type ErrorCode } from "../core/errors.ts";
import { Body, ClientMsgId, ConvId, UserId } from "../core/ids.ts";
import type { Message, UserConversation } from "../core/types.ts";

/** Protocol version announced in `welcome`. */
export const PROTOCOL_VERSION = 1;

/** WebSocket close codes used by Magpie. */
export const CLOSE = {
  /** Missing, expired or forged token. */
  unauthenticated: 4001,
  /** The bridge is draining: reconnect through a registry (a `move` frame precedes it). */
  moved: 4010,
  /** Server shutting down. */
  goingAway: 1001,
  /** Frame larger than the bridge's limit (Bun closes with 1009 itself above the hard cap). */
  tooLarge: 1009,
} as const;

const Ref = z.string().min(1).max(64);
const Seq = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** `send`: append a message. `id` is the client message id (idempotency key). */
export const SendFrame = z.object({ t: z.literal("send"), id: ClientMsgId, conv: ConvId, body: Body });
/** `sync`: pull everything after the device's per-conversation cursors, paged by `limit`. */
export const SyncFrame = z.object({
  t: z.literal("sync"),
  ref: Ref,
  cursors: z.record(ConvId, Seq).refine((r) => Object.keys(r).length <= 10_000, "too many cursors").default({}),
  limit: z.number().int().min(1).max(1000).default(500),
});
/** `history`: page one conversation forward (`after`) or backward (`before`, or newest when neither). */
export const HistoryFrame = z.object({
  t: z.literal("history"),
  ref: Ref,
  conv: ConvId,
  after: Seq.optional(),
  before: Seq.optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
/** `receipt`: the device has received (`delivered`) or the user has read (`read`) up to `seq`. */
export const ReceiptFrame = z.object({ t: z.literal("receipt"), conv: ConvId, seq: Seq, kind: z.enum(["delivered", "read"]) });
/** `ping`: keepalive; answered by `pong`. */
export const PingFrame = z.object({ t: z.literal("ping"), ref: Ref.optional() });

/** `recall`: the sender withdraws their message `seq` (within the recall window). */
export const RecallFrame = z.object({ t: z.literal("recall"), ref: Ref, conv: ConvId, seq: Seq.min(1) });
/** `delete`: hide message `seq` for this user only (all their devices). */
export const DeleteFrame = z.object({ t: z.literal("delete"), ref: Ref, conv: ConvId, seq: Seq.min(1) });
/** `typing`: ephemeral "user is typing" signal to the other members; never stored. */
export const TypingFrame = z.object({ t: z.literal("typing"), conv: ConvId });
/** `presence_sub`: subscribe to these users' presence (replaces the previous list). */
export const PresenceSubFrame = z.object({ t: z.literal("presence_sub"), ref: Ref, users: z.array(UserId).max(1000) });
/** `convs`: the user's conversation list with last message and unread count. */
export const ConvsFrame = z.object({ t: z.literal("convs"), ref: Ref });

/** `search`: full-text search over the user's conversations (docs/search.md); answered by `search_result`. */
export const SearchFrame = z.object({
  t: z.literal("search"),
  ref: Ref,
  q: z.string().max(4096),
  conv: ConvId.optional(),
  sender: UserId.optional(),
  since: Seq.optional(),
  until: Seq.optional(),
  limit: z.number().int().min(1).max(100).default(20),
  cursor: z.string().max(400).optional(),
});
export type SearchFrame = z.output<typeof SearchFrame>;

/** One search hit: the message and a snippet with `[start, end)` highlight offsets into `snippet.text`. */
export interface SearchHitWire {
  message: Message;
  snippet: { text: string; highlights: [number, number][] };
}

/** Any client → server frame. */
export const ClientFrame = z.discriminatedUnion("t", [
  SendFrame, SyncFrame, HistoryFrame, ReceiptFrame, PingFrame, RecallFrame, DeleteFrame, TypingFrame, PresenceSubFrame, ConvsFrame, SearchFrame,
]);
export type ClientFrame = z.output<typeof ClientFrame>;
export type SendFrame = z.output<typeof SendFrame>;
export type SyncFrame = z.output<typeof SyncFrame>;
export type HistoryFrame = z.output<typeof HistoryFrame>;
export type ReceiptFrame = z.output<typeof ReceiptFrame>;
export type RecallFrame = z.output<typeof RecallFrame>;
export type DeleteFrame = z.output<typeof DeleteFrame>;
export type TypingFrame = z.output<typeof TypingFrame>;
export type PresenceSubFrame = z.output<typeof PresenceSubFrame>;

const CLIENT_TYPES = new Set(["send", "sync", "history", "receipt", "ping", "recall", "delete", "typing", "presence_sub", "convs", "search"]);

/** One user's presence. */
export interface PresenceState {
  user: string;
  online: boolean;
  /** Last time the user's last device disconnected (ms), when known. */
  lastSeen?: number;
}

/** A row of the conversation list. */
export interface ConversationSummary extends UserConversation {
  /** Group title (empty for direct conversations). */
  title: string;
  readSeq: number;
  unread: number;
  lastMessage: Message | null;
}

/** Server → client frames. */
export type ServerFrame =
  | { t: "welcome"; v: number; user: string; device: string; bridge: string; heartbeatMs: number }
  | { t: "ack"; id: string; conv: string; seq: number; at: number; dup: boolean; ref?: string }
  | { t: "msg"; m: Message }
  | { t: "synced"; ref: string; convs: UserConversation[]; messages: Message[]; more: boolean }
  | { t: "history"; ref: string; conv: string; messages: Message[]; more: boolean }
  | { t: "receipt"; conv: string; user: string; device: string; seq: number; kind: "delivered" | "read" }
  | { t: "error"; code: ErrorCode; message: string; ref?: string }
  | { t: "pong"; ref?: string }
  | { t: "move"; reason: string; retryAfterMs: number }
  | { t: "typing"; conv: string; user: string }
  | { t: "presence"; ref?: string; states: PresenceState[] }
  | { t: "deleted"; ref?: string; conv: string; seq: number }
  | { t: "convs"; ref: string; conversations: ConversationSummary[] }
  | { t: "search_result"; ref: string; hits: SearchHitWire[]; next: string | null };

/**
 * Parses and validates one text frame. Throws `malformed_frame` (not JSON / wrong fields) or
 * `unknown_frame` (unknown `t`); the error carries the frame's `ref`/`id` when readable.
 */
export function decodeClientFrame(text: string): ClientFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new MagpieError("malformed_frame", "frame is not valid JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new MagpieError("malformed_frame", "frame must be a JSON object");
  }
  const t = (raw as { t?: unknown }).t;
  const ref = refOf(raw);
  if (typeof t !== "string" || !CLIENT_TYPES.has(t)) {
    throw new MagpieError("unknown_frame", `unknown frame type ${JSON.stringify(t)?.slice(0, 40)}`, ref ? { ref } : undefined);
  }
  const parsed = ClientFrame.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    const path = first?.path.join(".") ?? "";
    // Body problems keep their own stable codes.
    if (t === "send" && path === "body") {
      const code = typeof (raw as { body?: unknown }).body === "string" && (raw as { body: string }).body.length > 0
        ? "body_too_large" : "body_empty";
      throw new MagpieError(code, first?.message ?? "bad body", ref ? { ref } : undefined);
    }
    throw new MagpieError("malformed_frame", `invalid ${t} frame: ${path || "(root)"} ${first?.message ?? ""}`.trim(), ref ? { ref } : undefined);
  }
  return parsed.data;
}

/** The correlation id of a raw frame (`ref`, or `id` for sends), if it is a short string. */
export function refOf(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = (raw as { ref?: unknown; id?: unknown }).ref ?? (raw as { id?: unknown }).id;
  return typeof r === "string" && r.length <= 64 ? r : undefined;
}

/** An `error` frame for a MagpieError. */
export function errorFrame(e: MagpieError, ref?: string): ServerFrame {
  const r = ref ?? ((e.details as { ref?: string } | undefined)?.ref);
  return r === undefined ? { t: "error", code: e.code, message: e.message } : { t: "error", code: e.code, message: e.message, ref: r };
}
