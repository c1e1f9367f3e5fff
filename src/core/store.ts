/**
 * The storage contract. Two implementations run one contract suite
 * (tests/contract/store.contract.ts): `SqliteStore` (embedded, default for `npm start`) and
 * `CassandraStore` (production). Routes and roles see only these interfaces.
 *
 * ## Sync model (why no reader can miss a message)
 * Every conversation has a dense sequence: 1, 2, 3, … A message's seq is assigned in the same
 * atomic step that makes the message durable and visible, so a reader that has seen seq N has
 * seen every seq below N of that conversation. A device's cursor is, per conversation, the
 * highest seq it holds; it learns which conversations moved from {@link ConversationDirectory.listUserConversations}
 * (the user's sync index) and reads each one forward from its cursor. Writers racing on several
 * handlers cannot put a message "behind" a cursor: seqs are not clock-derived, and a seq is
 * never visible before every lower seq of the same conversation is.
 */
import type { Conversation, ConvKind, Membership, Message, UserConversation } from "./types.ts";

/** Input to {@link MessageLog.append}. */
export interface AppendInput {
  convId: string;
  senderId: string;
  senderDevice: string;
  clientMsgId: string;
  body: string;
  /** Users whose sync index must show this message (write fan-out); may be empty for large groups. */
  notify: readonly string[];
}

/** Result of an append: the stored message and whether it was a retry of an earlier one. */
export interface AppendResult {
  message: Message;
  duplicate: boolean;
}

/** A history query. `after` reads forward (ascending), `before` reads backward (descending). */
export interface ReadQuery {
  /** Return messages with seq > after, ascending. */
  after?: number;
  /** Return messages with seq < before, descending. */
  before?: number;
  /** 1..1000. */
  limit: number;
}

/** The per-conversation message log. */
export interface MessageLog {
  /**
   * Appends a message and returns it with its seq.
   * - Idempotent on `(senderId, clientMsgId)`: a retry returns the original message
   *   (`duplicate: true`), never a second copy, even when the retry carries another body.
   * - Seqs are dense and strictly increasing per conversation, also with concurrent appenders
   *   in several processes; the message is durable before the call returns.
   * - After return, every user in `notify` has `lastSeq >= message.seq` in their sync index.
   * - Validates ids and body (`invalid_id`, `body_empty`, `body_too_large`) and rejects an
   *   unknown conversation (`conversation_not_found`); nothing is written on error.
   * - Membership is not checked here (the handler does that).
   */
  append(input: AppendInput): Promise<AppendResult>;

  /**
   * Reads history. With `after`: ascending seqs > after. With `before`: descending seqs < before.
   * With neither: the newest messages, descending. Recalled messages are returned as
   * `kind: "recalled"` markers with an empty body. Never returns seqs that are not yet committed.
   */
  read(convId: string, query: ReadQuery): Promise<Message[]>;

  /** One message, or null. */
  get(convId: string, seq: number): Promise<Message | null>;

  /** Highest seq of the conversation (0 when it has no messages). */
  head(convId: string): Promise<number>;

  /**
   * Replaces a message's body by a recall marker (`kind: "recalled"`, empty body). Idempotent.
   * Returns the updated message, or null when it does not exist.
   */
  recall(convId: string, seq: number): Promise<Message | null>;
}

/** Input to {@link ConversationDirectory.createConversation}. */
export interface NewConversation {
  id: string;
  kind: ConvKind;
  title?: string;
  createdBy: string;
  members: readonly string[];
  historyVisibleToNewMembers?: boolean;
}

/** Conversations, membership and each user's sync index. */
export interface ConversationDirectory {
  /**
   * Creates a conversation with its initial members (the creator is `owner`).
   * Idempotent: creating an existing id returns the stored conversation unchanged.
   */
  createConversation(input: NewConversation): Promise<Conversation>;
  /** The conversation, or null. */
  getConversation(convId: string): Promise<Conversation | null>;
  /** Adds members (idempotent: existing members keep their join point). */
  addMembers(convId: string, userIds: readonly string[]): Promise<void>;
  /** Removes members (idempotent). The conversation leaves their sync index. */
  removeMembers(convId: string, userIds: readonly string[]): Promise<void>;
  /** A user's membership, or null. */
  getMembership(convId: string, userId: string): Promise<Membership | null>;
  /** Members ordered by user id, paged by `after` (exclusive). */
  listMembers(convId: string, opts: { after?: string; limit: number }): Promise<Membership[]>;
  /** Number of members. */
  countMembers(convId: string): Promise<number>;
  /**
   * The user's conversations with each one's current `lastSeq` (exact as of the call, for
   * every conversation, including large groups without write fan-out).
   */
  listUserConversations(userId: string): Promise<UserConversation[]>;
}

/** Per-user read cursors and per-user hidden ("deleted for me") messages. */
export interface UserState {
  /** Sets the user's read cursor; it only moves forward (a lower seq is ignored). */
  setReadSeq(userId: string, convId: string, seq: number): Promise<number>;
  /** The user's read cursor (0 when unread). */
  getReadSeq(userId: string, convId: string): Promise<number>;
  /** Hides one message for one user (idempotent). */
  hideMessage(userId: string, convId: string, seq: number): Promise<void>;
  /** Seqs hidden for the user within [fromSeq, toSeq]. */
  hiddenSeqs(userId: string, convId: string, fromSeq: number, toSeq: number): Promise<Set<number>>;
}

/** Options common to every store. */
export interface StoreOptions {
  /** Message retention in seconds; 0 keeps forever. Applied at write time (Cassandra TTL). */
  ttlSeconds: number;
}

/** A complete store. `close()` releases connections/files; data survives a reopen. */
export interface Store extends MessageLog, ConversationDirectory, UserState {
  /** Human-readable name (`sqlite`, `cassandra`). */
  readonly kind: string;
  close(): Promise<void>;
}
