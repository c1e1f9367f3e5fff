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
  /** `text` (default) or `recall` (an event whose body is the recalled seq; never indexed for search). */
  kind?: "text" | "recall";
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
  /**
   * Maintain the full-text search index on append (default true). Only benchmarks turn it off,
   * to measure the index's write cost; a store opened without it finds nothing it appended.
   */
  searchIndex?: boolean;
}

/** Position of a search hit in the result order; results strictly after it are returned. */
export interface SearchCursor {
  createdAt: number;
  convId: string;
  seq: number;
}

/** A full-text query over a set of conversations (see docs/search.md). */
export interface SearchQuery {
  /**
   * Conversations to search, each with its floor: only seqs > floorSeq are searched. `lastSeq`
   * (from the sync index) saves the store a head lookup when given. At most 10 000.
   */
  convs: readonly { convId: string; floorSeq: number; lastSeq?: number }[];
  /** User text, parsed by src/search/tokenize.ts (`invalid_query` when empty/too long). */
  text: string;
  /** Only messages of this sender. */
  senderId?: string;
  /** Only messages with createdAt >= since (ms). */
  since?: number;
  /** Only messages with createdAt < until (ms). */
  until?: number;
  /** 1..200. */
  limit: number;
  /** Continue after this hit (the last one of the previous page). */
  before?: SearchCursor;
}

/** Full-text search over the message log; the index is maintained by `append`/`recall`/expiry. */
export interface MessageSearch {
  /**
   * Messages matching every query token (AND), newest first: createdAt desc, then convId asc,
   * then seq desc. Only from the listed conversations and above each floor; recalled and expired
   * messages are never returned. Paging with `before` = last hit is complete and stable (a hit
   * appears on exactly one page) while nothing older than the cursor changes.
   * Throws `invalid_query` on a bad query or limit.
   */
  search(q: SearchQuery): Promise<Message[]>;
}

/** A complete store. `close()` releases connections/files; data survives a reopen. */
export interface Store extends MessageLog, ConversationDirectory, UserState, MessageSearch {
  /** Human-readable name (`sqlite`, `cassandra`). */
  readonly kind: string;
  close(): Promise<void>;
}
