/** Domain types shared by every role. Plain data, JSON-serialisable. */

/**
 * Kind of a message.
 * - `text`: a user's message.
 * - `recalled`: a text message its sender recalled (body emptied).
 * - `recall`: the event announcing a recall, stored in the conversation's sequence like any
 *   message so every device learns it through sync; its body is the recalled seq.
 * - `deleted`: shown only to a user who deleted the message for themselves (never stored).
 */
export type MessageKind = "text" | "recalled" | "recall" | "deleted";

/** A stored message. `(convId, seq)` is its identity; `seq` is dense per conversation. */
export interface Message {
  convId: string;
  /** Position in the conversation: 1, 2, 3, … with no gaps. */
  seq: number;
  senderId: string;
  senderDevice: string;
  /** The sender's idempotency key; unique per sender. */
  clientMsgId: string;
  kind: MessageKind;
  body: string;
  /** Server time at append, milliseconds since the epoch. */
  createdAt: number;
}

/** Conversation kinds. */
export type ConvKind = "direct" | "group";

/** A conversation (one-to-one or group). */
export interface Conversation {
  id: string;
  kind: ConvKind;
  title: string;
  createdBy: string;
  createdAt: number;
  /** When false, members only see messages appended after they joined. */
  historyVisibleToNewMembers: boolean;
}

/** A user's membership in a conversation. */
export interface Membership {
  convId: string;
  userId: string;
  role: "owner" | "member";
  joinedAt: number;
  /** Conversation head when the user joined; the history floor when history is hidden. */
  joinedSeq: number;
}

/** One row of a user's conversation list: the sync index. */
export interface UserConversation {
  convId: string;
  kind: ConvKind;
  /** Highest seq appended to the conversation (0 when empty). */
  lastSeq: number;
  /** Lowest seq this user may read minus one (0 unless history is hidden from new members). */
  floorSeq: number;
}
