/**
 * `SqliteStore`: the embedded {@link Store} (default for `npm start` and tests). One SQLite file in
 * WAL mode; every write is one `BEGIN IMMEDIATE` transaction, so seqs stay dense and unique also
 * with writers in several processes sharing the file.
 */
import { MagpieError } from "../../core/errors.ts";
import type { AppendInput, AppendResult, NewConversation, ReadQuery, SearchQuery, Store } from "../../core/store.ts";
import type { Conversation, Membership, Message, UserConversation } from "../../core/types.ts";
import type { SqlDatabase } from "./database.ts";
import {
  MESSAGE_COLUMNS, SCHEMA, toConversation, toMembership, toMessage,
  type ConversationRow, type MemberRow, type MessageRow,
} from "./schema.ts";
import { SqliteSearch } from "./search.ts";
import { checkAppend, checkConvId, checkNewConversation, checkQuery, checkUserIds, isSeq } from "../validate.ts";

/** How often (ms) expired rows are purged, at most. */
const PURGE_INTERVAL_MS = 1000;
/** Rows purged per table and pass, so a purge never holds the write lock for long. */
const PURGE_BATCH = 1000;
/** A live (not expired) row, given `?` = now. */
const LIVE = "(expires_at IS NULL OR expires_at > ?)";

/** The embedded store over a {@link SqlDatabase}. Build it with `openSqliteStore`. */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  #db: SqlDatabase;
  #ttlMs: number;
  #lastPurge = 0;
  #closed = false;
  #search: SqliteSearch;

  constructor(db: SqlDatabase, ttlSeconds: number, searchIndex = true) {
    this.#db = db;
    this.#ttlMs = Math.max(0, ttlSeconds) * 1000;
    db.exec(SCHEMA);
    this.#search = new SqliteSearch(db, searchIndex);
    this.#purge(Date.now());
  }

  async append(input: AppendInput): Promise<AppendResult> {
    checkAppend(input);
    const db = this.#db;
    const now = Date.now();
    const expiresAt = this.#ttlMs > 0 ? now + this.#ttlMs : null;
    const result = db.transaction((): AppendResult => {
      const prior = db.get<{ conv_id: string; seq: number }>(
        `SELECT conv_id, seq FROM dedupe WHERE sender_id = ? AND client_msg_id = ? AND ${LIVE}`,
        input.senderId, input.clientMsgId, now,
      );
      if (prior) {
        const original = this.#message(prior.conv_id, prior.seq, now);
        if (original) return { message: original, duplicate: true };
      }
      const next = db.get<{ head: number }>(
        "UPDATE conversations SET head = head + 1 WHERE id = ? RETURNING head", input.convId,
      );
      if (!next) throw new MagpieError("conversation_not_found", `no conversation ${input.convId}`);
      const message: Message = {
        convId: input.convId, seq: next.head, senderId: input.senderId, senderDevice: input.senderDevice,
        clientMsgId: input.clientMsgId, kind: input.kind ?? "text", body: input.body, createdAt: now,
      };
      db.run(
        `INSERT INTO messages (${MESSAGE_COLUMNS}, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        message.convId, message.seq, message.senderId, message.senderDevice, message.clientMsgId,
        message.kind, message.body, message.createdAt, expiresAt,
      );
      this.#search.index(message, expiresAt);
      db.run(
        "INSERT OR REPLACE INTO dedupe (sender_id, client_msg_id, conv_id, seq, expires_at) VALUES (?, ?, ?, ?, ?)",
        message.senderId, message.clientMsgId, message.convId, message.seq, expiresAt,
      );
      // The sync index is derived from membership + conversation head, so `notify` needs no write.
      return { message, duplicate: false };
    });
    this.#purge(now);
    return result;
  }

  async read(convId: string, query: ReadQuery): Promise<Message[]> {
    checkConvId(convId);
    checkQuery(query);
    const now = Date.now();
    const where = [`conv_id = ?`, LIVE];
    const params: (string | number)[] = [convId, now];
    if (query.after !== undefined) { where.push("seq > ?"); params.push(query.after); }
    if (query.before !== undefined) { where.push("seq < ?"); params.push(query.before); }
    const order = query.after !== undefined ? "ASC" : "DESC";
    const rows = this.#db.all<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE ${where.join(" AND ")} ORDER BY seq ${order} LIMIT ?`,
      ...params, query.limit,
    );
    return rows.map(toMessage);
  }

  async get(convId: string, seq: number): Promise<Message | null> {
    checkConvId(convId);
    return isSeq(seq) ? this.#message(convId, seq, Date.now()) : null;
  }

  async head(convId: string): Promise<number> {
    checkConvId(convId);
    return this.#db.get<{ head: number }>("SELECT head FROM conversations WHERE id = ?", convId)?.head ?? 0;
  }

  async recall(convId: string, seq: number): Promise<Message | null> {
    checkConvId(convId);
    if (!isSeq(seq)) return null;
    const now = Date.now();
    return this.#db.transaction(() => {
      const before = this.#message(convId, seq, now);
      if (before?.kind === "text") this.#search.unindex(convId, seq, before.body);
      this.#db.run(
        `UPDATE messages SET kind = 'recalled', body = '' WHERE conv_id = ? AND seq = ? AND ${LIVE}`,
        convId, seq, now,
      );
      return this.#message(convId, seq, now);
    });
  }

  search(q: SearchQuery): Promise<Message[]> {
    return this.#search.search(q);
  }

  async createConversation(input: NewConversation): Promise<Conversation> {
    checkNewConversation(input);
    const db = this.#db;
    return db.transaction(() => {
      const existing = db.get<ConversationRow>("SELECT * FROM conversations WHERE id = ?", input.id);
      if (existing) return toConversation(existing);
      const now = Date.now();
      const visible = input.historyVisibleToNewMembers ?? true;
      db.run(
        "INSERT INTO conversations (id, kind, title, created_by, created_at, history_visible, head) VALUES (?, ?, ?, ?, ?, ?, 0)",
        input.id, input.kind, input.title ?? "", input.createdBy, now, visible ? 1 : 0,
      );
      const insert = "INSERT OR IGNORE INTO members (conv_id, user_id, role, joined_at, joined_seq) VALUES (?, ?, ?, ?, 0)";
      db.run(insert, input.id, input.createdBy, "owner", now);
      for (const userId of input.members) db.run(insert, input.id, userId, "member", now);
      return toConversation(db.get<ConversationRow>("SELECT * FROM conversations WHERE id = ?", input.id)!);
    });
  }

  async getConversation(convId: string): Promise<Conversation | null> {
    checkConvId(convId);
    const row = this.#db.get<ConversationRow>("SELECT * FROM conversations WHERE id = ?", convId);
    return row ? toConversation(row) : null;
  }

  async addMembers(convId: string, userIds: readonly string[]): Promise<void> {
    checkConvId(convId);
    checkUserIds(userIds);
    const db = this.#db;
    db.transaction(() => {
      const conv = db.get<{ head: number }>("SELECT head FROM conversations WHERE id = ?", convId);
      if (!conv) throw new MagpieError("conversation_not_found", `no conversation ${convId}`);
      const now = Date.now();
      for (const userId of userIds) {
        db.run(
          "INSERT OR IGNORE INTO members (conv_id, user_id, role, joined_at, joined_seq) VALUES (?, ?, 'member', ?, ?)",
          convId, userId, now, conv.head,
        );
      }
    });
  }

  async removeMembers(convId: string, userIds: readonly string[]): Promise<void> {
    checkConvId(convId);
    checkUserIds(userIds);
    const db = this.#db;
    db.transaction(() => {
      for (const userId of userIds) db.run("DELETE FROM members WHERE conv_id = ? AND user_id = ?", convId, userId);
    });
  }

  async getMembership(convId: string, userId: string): Promise<Membership | null> {
    checkConvId(convId);
    checkUserIds([userId]);
    const row = this.#db.get<MemberRow>("SELECT * FROM members WHERE conv_id = ? AND user_id = ?", convId, userId);
    return row ? toMembership(row) : null;
  }

  async listMembers(convId: string, opts: { after?: string; limit: number }): Promise<Membership[]> {
    checkConvId(convId);
    if (!Number.isInteger(opts.limit) || opts.limit < 1) {
      throw new MagpieError("invalid_query", "limit must be a positive integer");
    }
    const rows = this.#db.all<MemberRow>(
      "SELECT * FROM members WHERE conv_id = ? AND user_id > ? ORDER BY user_id LIMIT ?",
      convId, opts.after ?? "", opts.limit,
    );
    return rows.map(toMembership);
  }

  async countMembers(convId: string): Promise<number> {
    checkConvId(convId);
    return this.#db.get<{ n: number }>("SELECT count(*) AS n FROM members WHERE conv_id = ?", convId)?.n ?? 0;
  }

  async listUserConversations(userId: string): Promise<UserConversation[]> {
    checkUserIds([userId]);
    const rows = this.#db.all<{ id: string; kind: string; head: number; history_visible: number; joined_seq: number }>(
      `SELECT c.id, c.kind, c.head, c.history_visible, m.joined_seq
         FROM members m JOIN conversations c ON c.id = m.conv_id
        WHERE m.user_id = ? ORDER BY c.id`,
      userId,
    );
    return rows.map((r) => ({
      convId: r.id,
      kind: r.kind === "direct" ? "direct" : "group",
      lastSeq: r.head,
      floorSeq: r.history_visible === 1 ? 0 : r.joined_seq,
    }));
  }

  async setReadSeq(userId: string, convId: string, seq: number): Promise<number> {
    checkUserIds([userId]);
    checkConvId(convId);
    if (!Number.isSafeInteger(seq) || seq < 0) throw new MagpieError("invalid_query", "seq must be a non-negative integer");
    return this.#db.get<{ seq: number }>(
      `INSERT INTO read_cursors (user_id, conv_id, seq) VALUES (?, ?, ?)
       ON CONFLICT (user_id, conv_id) DO UPDATE SET seq = max(seq, excluded.seq) RETURNING seq`,
      userId, convId, seq,
    )!.seq;
  }

  async getReadSeq(userId: string, convId: string): Promise<number> {
    checkUserIds([userId]);
    checkConvId(convId);
    return this.#db.get<{ seq: number }>(
      "SELECT seq FROM read_cursors WHERE user_id = ? AND conv_id = ?", userId, convId,
    )?.seq ?? 0;
  }

  async hideMessage(userId: string, convId: string, seq: number): Promise<void> {
    checkUserIds([userId]);
    checkConvId(convId);
    if (!isSeq(seq)) throw new MagpieError("invalid_query", "seq must be a positive integer");
    this.#db.run("INSERT OR IGNORE INTO hidden (user_id, conv_id, seq) VALUES (?, ?, ?)", userId, convId, seq);
  }

  async hiddenSeqs(userId: string, convId: string, fromSeq: number, toSeq: number): Promise<Set<number>> {
    checkUserIds([userId]);
    checkConvId(convId);
    const rows = this.#db.all<{ seq: number }>(
      "SELECT seq FROM hidden WHERE user_id = ? AND conv_id = ? AND seq BETWEEN ? AND ?",
      userId, convId, fromSeq, toSeq,
    );
    return new Set(rows.map((r) => r.seq));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }

  /** A live message, or null. */
  #message(convId: string, seq: number, now: number): Message | null {
    const row = this.#db.get<MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conv_id = ? AND seq = ? AND ${LIVE}`, convId, seq, now,
    );
    return row ? toMessage(row) : null;
  }

  /** Deletes a batch of expired messages and dedupe entries, at most once per interval. */
  #purge(now: number): void {
    if (this.#ttlMs === 0 || now - this.#lastPurge < PURGE_INTERVAL_MS) return;
    this.#lastPurge = now;
    this.#db.transaction(() => {
      this.#db.run(
        `DELETE FROM messages WHERE (conv_id, seq) IN
           (SELECT conv_id, seq FROM messages WHERE expires_at <= ? LIMIT ${PURGE_BATCH})`, now,
      );
      this.#db.run(
        `DELETE FROM dedupe WHERE (sender_id, client_msg_id) IN
           (SELECT sender_id, client_msg_id FROM dedupe WHERE expires_at <= ? LIMIT ${PURGE_BATCH})`, now,
      );
      this.#search.purge(now, PURGE_BATCH);
    });
  }
}
