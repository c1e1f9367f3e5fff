/**
 * Conversations, membership, each user's sync index, read cursors and hidden messages.
 *
 * The sync index is two tables: `user_conversations` (membership side: kind, floor; plain
 * timestamps, deleted on leave) and `user_conv_seq` (write fan-out: last_seq written
 * `USING TIMESTAMP <seq>`, so out-of-order bumps converge to the max; never deleted, since a
 * wall-clock tombstone would shadow every later seq-timestamped write). listUserConversations
 * reports max(fan-out row, exact conversation head), which is exact also for large groups whose
 * appends notify nobody.
 */
import { MagpieError } from "../../core/errors.ts";
import type { NewConversation } from "../../core/store.ts";
import type { ConvKind, Conversation, Membership, UserConversation } from "../../core/types.ts";
import type { Appender } from "./appender.ts";
import { bucketEnd, bucketOf, type Ctx, num } from "./context.ts";
import { checkConvId, checkNewConversation, checkSeq, checkUserId, checkUserIds } from "../validate.ts";

const CONV_COLS = "conv_id, kind, title, created_by, created_at, history_visible";
const CREATE_CONV =
  "INSERT INTO {ks}.conversations (conv_id, kind, title, created_by, created_at, history_visible) VALUES (?, ?, ?, ?, ?, ?) IF NOT EXISTS";
const GET_CONV = `SELECT ${CONV_COLS} FROM {ks}.conversations WHERE conv_id = ?`;
const MEMBER_COLS = "conv_id, user_id, role, joined_at, joined_seq";
const PUT_MEMBER = "INSERT INTO {ks}.members (conv_id, user_id, role, joined_at, joined_seq) VALUES (?, ?, ?, ?, ?)";
const ADD_MEMBER = `${PUT_MEMBER} IF NOT EXISTS`;
const PUT_USER_CONV = "INSERT INTO {ks}.user_conversations (user_id, conv_id, kind, floor_seq) VALUES (?, ?, ?, ?)";

type Row = { get(name: string): unknown };

const toConversation = (r: Row): Conversation => ({
  id: String(r.get("conv_id")),
  kind: r.get("kind") as ConvKind,
  title: String(r.get("title") ?? ""),
  createdBy: String(r.get("created_by")),
  createdAt: num(r.get("created_at")),
  historyVisibleToNewMembers: r.get("history_visible") !== false,
});

const toMembership = (r: Row): Membership => ({
  convId: String(r.get("conv_id")),
  userId: String(r.get("user_id")),
  role: r.get("role") === "owner" ? "owner" : "member",
  joinedAt: num(r.get("joined_at")),
  joinedSeq: num(r.get("joined_seq")),
});

export class CassandraDirectory {
  constructor(private readonly ctx: Ctx, private readonly appender: Appender) {}

  async createConversation(input: NewConversation): Promise<Conversation> {
    checkNewConversation(input);
    const now = Date.now();
    const visible = input.historyVisibleToNewMembers ?? true;
    const rs = await this.ctx.exec(CREATE_CONV, [input.id, input.kind, input.title ?? "", input.createdBy, now, visible]);
    if (!rs.wasApplied()) {
      const existing = (await this.ctx.exec(GET_CONV, [input.id], { consistency: this.ctx.serial })).first();
      if (!existing) throw new MagpieError("conflict", `conversation ${input.id} is being created concurrently`);
      return toConversation(existing);
    }
    this.ctx.knownConvs.add(input.id);
    const members = new Map<string, "owner" | "member">([[input.createdBy, "owner"]]);
    for (const u of input.members) if (!members.has(u)) members.set(u, "member");
    await each([...members], ([u, role]) => Promise.all([
      this.ctx.exec(PUT_MEMBER, [input.id, u, role, now, 0]),
      this.ctx.exec(PUT_USER_CONV, [u, input.id, input.kind, 0]),
    ]));
    return { id: input.id, kind: input.kind, title: input.title ?? "", createdBy: input.createdBy, createdAt: now, historyVisibleToNewMembers: visible };
  }

  async getConversation(convId: string): Promise<Conversation | null> {
    checkConvId(convId);
    const row = (await this.ctx.exec(GET_CONV, [convId])).first();
    if (row) this.ctx.knownConvs.add(convId);
    return row ? toConversation(row) : null;
  }

  async addMembers(convId: string, userIds: readonly string[]): Promise<void> {
    checkConvId(convId);
    checkUserIds(userIds);
    const conv = await this.getConversation(convId);
    if (!conv) throw new MagpieError("conversation_not_found", `no conversation ${convId}`);
    const head = await this.ctx.head(convId);
    const now = Date.now();
    const wanted = [...new Set(userIds)];
    const present = new Set<string>();
    for (let i = 0; i < wanted.length; i += 100) {
      const rs = await this.ctx.exec("SELECT user_id FROM {ks}.members WHERE conv_id = ? AND user_id IN ?", [convId, wanted.slice(i, i + 100)]);
      for (const r of rs.rows) present.add(String(r.get("user_id")));
    }
    await each(wanted.filter((u) => !present.has(u)), async (u) => {
      // IF NOT EXISTS: two racing adds keep one join point.
      const rs = await this.ctx.exec(ADD_MEMBER, [convId, u, "member", now, head]);
      const joinedSeq = rs.wasApplied() ? head : num(rs.first()?.get("joined_seq"));
      await this.ctx.exec(PUT_USER_CONV, [u, convId, conv.kind, conv.historyVisibleToNewMembers ? 0 : joinedSeq]);
    });
  }

  async removeMembers(convId: string, userIds: readonly string[]): Promise<void> {
    checkConvId(convId);
    checkUserIds(userIds);
    await each([...new Set(userIds)], (u) => Promise.all([
      this.ctx.exec("DELETE FROM {ks}.members WHERE conv_id = ? AND user_id = ?", [convId, u]),
      this.ctx.exec("DELETE FROM {ks}.user_conversations WHERE user_id = ? AND conv_id = ?", [u, convId]),
    ]));
  }

  async getMembership(convId: string, userId: string): Promise<Membership | null> {
    checkConvId(convId);
    checkUserId(userId);
    const row = (await this.ctx.exec(`SELECT ${MEMBER_COLS} FROM {ks}.members WHERE conv_id = ? AND user_id = ?`, [convId, userId])).first();
    return row ? toMembership(row) : null;
  }

  async listMembers(convId: string, opts: { after?: string; limit: number }): Promise<Membership[]> {
    checkConvId(convId);
    const limit = Math.max(1, Math.min(1000, Math.floor(opts.limit)));
    const rs = opts.after === undefined
      ? await this.ctx.exec(`SELECT ${MEMBER_COLS} FROM {ks}.members WHERE conv_id = ? LIMIT ?`, [convId, limit])
      : await this.ctx.exec(`SELECT ${MEMBER_COLS} FROM {ks}.members WHERE conv_id = ? AND user_id > ? LIMIT ?`, [convId, opts.after, limit]);
    return rs.rows.map(toMembership);
  }

  async countMembers(convId: string): Promise<number> {
    checkConvId(convId);
    const rs = await this.ctx.exec("SELECT COUNT(*) AS n FROM {ks}.members WHERE conv_id = ?", [convId]);
    return num(rs.first()?.get("n"));
  }

  async listUserConversations(userId: string): Promise<UserConversation[]> {
    checkUserId(userId);
    const [convRows, seqRows] = await Promise.all([
      this.#all("SELECT conv_id, kind, floor_seq FROM {ks}.user_conversations WHERE user_id = ?", [userId]),
      this.#all("SELECT conv_id, last_seq FROM {ks}.user_conv_seq WHERE user_id = ?", [userId]),
    ]);
    const bumped = new Map(seqRows.map((r) => [String(r.get("conv_id")), num(r.get("last_seq"))]));
    const out: UserConversation[] = convRows.map((r) => ({
      convId: String(r.get("conv_id")),
      kind: r.get("kind") as ConvKind,
      lastSeq: 0,
      floorSeq: num(r.get("floor_seq")),
    }));
    await each(out, async (row) => {
      const lower = Math.max(bumped.get(row.convId) ?? 0, this.appender.cachedHead(row.convId) ?? 0);
      row.lastSeq = await this.#exactHead(row.convId, lower);
    });
    return out;
  }

  /** Exact head given a lower bound: one static read when the bound's bucket is not full. */
  async #exactHead(convId: string, lower: number): Promise<number> {
    const b = bucketOf(lower);
    const last = await this.ctx.bucketHead(convId, b);
    if (last === null) return lower; // bucket never written: only possible for an empty conversation
    if (last < bucketEnd(b)) return Math.max(lower, last); // the head's bucket: exact
    const hint = (await this.ctx.headHint(convId)) ?? 0; // bucket full: jump via the hint and walk
    return this.ctx.discoverHead(convId, Math.max(lower, last, hint));
  }

  async #all(cql: string, params: unknown[]): Promise<Row[]> {
    const rows: Row[] = [];
    let pageState: string | undefined;
    do {
      const rs = await this.ctx.exec(cql, params, { fetchSize: 1000, pageState });
      rows.push(...rs.rows);
      pageState = rs.pageState ?? undefined;
    } while (pageState);
    return rows;
  }

  // --- user state -------------------------------------------------------------------------

  async setReadSeq(userId: string, convId: string, seq: number): Promise<number> {
    checkUserId(userId);
    checkConvId(convId);
    checkSeq(seq);
    // The cell's write timestamp is the seq itself: a lower seq can never overwrite a higher one.
    await this.ctx.exec("UPDATE {ks}.read_cursors USING TIMESTAMP ? SET read_seq = ? WHERE user_id = ? AND conv_id = ?", [seq, seq, userId, convId]);
    return Math.max(seq, await this.getReadSeq(userId, convId));
  }

  async getReadSeq(userId: string, convId: string): Promise<number> {
    checkUserId(userId);
    checkConvId(convId);
    const row = (await this.ctx.exec("SELECT read_seq FROM {ks}.read_cursors WHERE user_id = ? AND conv_id = ?", [userId, convId])).first();
    return num(row?.get("read_seq"));
  }

  async hideMessage(userId: string, convId: string, seq: number): Promise<void> {
    checkUserId(userId);
    checkConvId(convId);
    checkSeq(seq);
    await this.ctx.exec("INSERT INTO {ks}.hidden_messages (user_id, conv_id, seq) VALUES (?, ?, ?) USING TTL ?", [userId, convId, seq, this.ctx.ttl]);
  }

  async hiddenSeqs(userId: string, convId: string, fromSeq: number, toSeq: number): Promise<Set<number>> {
    checkUserId(userId);
    checkConvId(convId);
    checkSeq(fromSeq, "fromSeq");
    checkSeq(toSeq, "toSeq");
    const rows = await this.#all(
      "SELECT seq FROM {ks}.hidden_messages WHERE user_id = ? AND conv_id = ? AND seq >= ? AND seq <= ?", [userId, convId, fromSeq, toSeq]);
    return new Set(rows.map((r) => num(r.get("seq"))));
  }
}

/** Runs `fn` over `items`, at most 64 at a time. */
async function each<T>(items: readonly T[], fn: (item: T) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < items.length; i += 64) await Promise.all(items.slice(i, i + 64).map(fn));
}
