/**
 * Schema of the embedded store, and row ↔ domain mapping. Message expiry is a stored
 * `expires_at` (ms since the epoch, NULL = keep forever): reads filter on it and expired rows are
 * purged lazily, so retention behaves like Cassandra's write-time TTL.
 */
import type { Conversation, ConvKind, Membership, Message, MessageKind } from "../../core/types.ts";

/** Creates every table and index when missing (idempotent). */
export const SCHEMA = `
CREATE TABLE IF NOT EXISTS conversations (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  history_visible INTEGER NOT NULL,
  head INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS members (
  conv_id TEXT NOT NULL,
  user_id TEXT NOT NULL,
  role TEXT NOT NULL,
  joined_at INTEGER NOT NULL,
  joined_seq INTEGER NOT NULL,
  PRIMARY KEY (conv_id, user_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_by_user ON members (user_id, conv_id);
CREATE TABLE IF NOT EXISTS messages (
  conv_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  sender_id TEXT NOT NULL,
  sender_device TEXT NOT NULL,
  client_msg_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (conv_id, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_expiry ON messages (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS dedupe (
  sender_id TEXT NOT NULL,
  client_msg_id TEXT NOT NULL,
  conv_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (sender_id, client_msg_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedupe_expiry ON dedupe (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS read_cursors (
  user_id TEXT NOT NULL,
  conv_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (user_id, conv_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hidden (
  user_id TEXT NOT NULL,
  conv_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  PRIMARY KEY (user_id, conv_id, seq)
) WITHOUT ROWID;
`;

/** A `messages` row. */
export interface MessageRow {
  conv_id: string;
  seq: number;
  sender_id: string;
  sender_device: string;
  client_msg_id: string;
  kind: string;
  body: string;
  created_at: number;
}

/** A `conversations` row. */
export interface ConversationRow {
  id: string;
  kind: string;
  title: string;
  created_by: string;
  created_at: number;
  history_visible: number;
  head: number;
}

/** A `members` row. */
export interface MemberRow {
  conv_id: string;
  user_id: string;
  role: string;
  joined_at: number;
  joined_seq: number;
}

/** Columns selected for a message. */
export const MESSAGE_COLUMNS = "conv_id, seq, sender_id, sender_device, client_msg_id, kind, body, created_at";

/** Maps a message row. */
export function toMessage(r: MessageRow): Message {
  return {
    convId: r.conv_id,
    seq: r.seq,
    senderId: r.sender_id,
    senderDevice: r.sender_device,
    clientMsgId: r.client_msg_id,
    kind: r.kind as MessageKind,
    body: r.body,
    createdAt: r.created_at,
  };
}

/** Maps a conversation row. */
export function toConversation(r: ConversationRow): Conversation {
  return {
    id: r.id,
    kind: r.kind as ConvKind,
    title: r.title,
    createdBy: r.created_by,
    createdAt: r.created_at,
    historyVisibleToNewMembers: r.history_visible === 1,
  };
}

/** Maps a membership row. */
export function toMembership(r: MemberRow): Membership {
  return {
    convId: r.conv_id,
    userId: r.user_id,
    role: r.role === "owner" ? "owner" : "member",
    joinedAt: r.joined_at,
    joinedSeq: r.joined_seq,
  };
}
