/**
 * The message log on Cassandra: idempotent append (in-process LRU + `dedupe` table + coalescing
 * of concurrent retries, then group commit through {@link Appender}), history reads that walk
 * buckets, get/head/recall.
 */
import { MagpieError } from "../../core/errors.ts";
import type { AppendInput, AppendResult, ReadQuery } from "../../core/store.ts";
import type { Message, MessageKind } from "../../core/types.ts";
import { Appender, retry } from "./appender.ts";
import { BUCKET_SIZE, bucketEnd, bucketOf, type Ctx, num, numOrNull } from "./context.ts";
import { Lru } from "./lru.ts";
import type { CassandraSearch } from "./search.ts";
import { checkAppend, checkConvId, checkQuery, checkSeq } from "../validate.ts";

const COLS = "seq, last_seq, sender_id, sender_device, client_msg_id, kind, body, created_at";
const READ_AFTER = `SELECT ${COLS} FROM {ks}.messages WHERE conv_id = ? AND bucket = ? AND seq > ? LIMIT ?`;
const READ_BEFORE = `SELECT ${COLS} FROM {ks}.messages WHERE conv_id = ? AND bucket = ? AND seq < ? ORDER BY seq DESC LIMIT ?`;
const GET = `SELECT ${COLS}, TTL(body) AS body_ttl FROM {ks}.messages WHERE conv_id = ? AND bucket = ? AND seq = ?`;
const RECALL = "UPDATE {ks}.messages USING TTL ? SET kind = 'recalled', body = '' WHERE conv_id = ? AND bucket = ? AND seq = ?";
const DEDUPE_GET = "SELECT conv_id, seq FROM {ks}.dedupe WHERE sender_id = ? AND client_msg_id = ?";
const BUMP = "UPDATE {ks}.user_conv_seq USING TIMESTAMP ? AND TTL ? SET last_seq = ? WHERE user_id = ? AND conv_id = ?";

type Row = { get(name: string): unknown };

function toMessage(convId: string, r: Row): Message {
  return {
    convId,
    seq: num(r.get("seq")),
    senderId: String(r.get("sender_id")),
    senderDevice: String(r.get("sender_device")),
    clientMsgId: String(r.get("client_msg_id")),
    kind: (r.get("kind") as MessageKind | null) ?? "text",
    body: String(r.get("body") ?? ""),
    createdAt: num(r.get("created_at")),
  };
}

/** Rows of a partition read that are real messages (not the static-only row). */
const messageRows = (rows: Row[]) => rows.filter((r) => r.get("seq") !== null && r.get("sender_id") !== null);

export class CassandraLog {
  readonly appender: Appender;
  /** `sender|clientMsgId` → where it landed. */
  readonly #recent = new Lru<string, { convId: string; seq: number }>(100_000);
  /** In-flight appends by `sender|clientMsgId` (concurrent retries coalesce onto one). */
  readonly #inflight = new Map<string, Promise<AppendResult>>();

  constructor(private readonly ctx: Ctx, private readonly search?: CassandraSearch) {
    this.appender = new Appender(ctx, (msgs) => {
      for (const m of msgs) this.#recent.set(`${m.senderId}|${m.clientMsgId}`, { convId: m.convId, seq: m.seq });
    }, search && ((msgs) => search.postings(msgs)));
  }

  async append(input: AppendInput): Promise<AppendResult> {
    checkAppend(input);
    const notify = [...new Set(input.notify ?? [])];
    const clean: AppendInput = { ...input, notify };
    const key = `${input.senderId}|${input.clientMsgId}`;
    const running = this.#inflight.get(key);
    if (running) return this.#duplicate((await running).message, notify);
    // Registered synchronously, so concurrent retries of one id coalesce onto this attempt.
    const p = (async (): Promise<AppendResult> => {
      const known = await this.#lookup(key, input);
      if (known) return this.#duplicate(known, notify);
      if (!this.ctx.knownConvs.has(input.convId) && (await this.ctx.headHint(input.convId)) === null) {
        throw new MagpieError("conversation_not_found", `no conversation ${input.convId}`);
      }
      return await this.appender.append(clean);
    })();
    this.#inflight.set(key, p);
    try {
      return await p;
    } finally {
      this.#inflight.delete(key);
    }
  }

  /** An earlier append of this (sender, clientMsgId), from the LRU or the dedupe table. */
  async #lookup(key: string, input: AppendInput): Promise<Message | null> {
    let where = this.#recent.get(key);
    if (!where) {
      const row = (await this.ctx.exec(DEDUPE_GET, [input.senderId, input.clientMsgId])).first();
      if (row) where = { convId: String(row.get("conv_id")), seq: num(row.get("seq")) };
    }
    if (!where) return null;
    const m = await this.get(where.convId, where.seq);
    if (m) this.#recent.set(key, where);
    return m;
  }

  /** A retry: the original message; `notify` is re-applied (idempotent: max-seq writes). */
  async #duplicate(message: Message, notify: readonly string[]): Promise<AppendResult> {
    await Promise.all([...notify.map((u) =>
      retry(() => this.ctx.exec(BUMP, [message.seq, this.ctx.ttl, message.seq, u, message.convId]))),
    // Re-index (idempotent): heals an original attempt that failed between commit and index write.
    this.search?.index([message])]);
    return { message, duplicate: true };
  }

  async read(convId: string, q: ReadQuery): Promise<Message[]> {
    checkConvId(convId);
    checkQuery(q);
    if (q.after !== undefined) return this.#readAfter(convId, q.after, q.limit);
    let before = q.before;
    const cached = this.appender.cachedHead(convId) ?? -1;
    if (before === undefined || before > cached + 1) {
      const head = await this.ctx.head(convId);
      before = Math.min(before ?? Number.MAX_SAFE_INTEGER, head + 1);
    }
    return this.#readBefore(convId, before, q.limit);
  }

  async #readAfter(convId: string, after: number, limit: number): Promise<Message[]> {
    const out: Message[] = [];
    let b = bucketOf(after + 1);
    let cur = after;
    while (out.length < limit) {
      const want = limit - out.length;
      const rows = (await this.ctx.exec(READ_AFTER, [convId, b, cur, want])).rows;
      const msgs = messageRows(rows);
      out.push(...msgs.map((r) => toMessage(convId, r)));
      if (msgs.length >= want) break;
      // This bucket is exhausted; go on only if it is full (the next one may then hold more).
      const last = rows.length > 0 ? numOrNull(rows[0]!.get("last_seq")) : await this.ctx.bucketHead(convId, b);
      if (last === null || last < bucketEnd(b)) break;
      cur = bucketEnd(b);
      b++;
    }
    return out;
  }

  async #readBefore(convId: string, before: number, limit: number): Promise<Message[]> {
    const out: Message[] = [];
    if (before <= 1) return out;
    let b = bucketOf(before - 1);
    let cur = before;
    while (out.length < limit && b >= 0) {
      const want = limit - out.length;
      const msgs = messageRows((await this.ctx.exec(READ_BEFORE, [convId, b, cur, want])).rows);
      out.push(...msgs.map((r) => toMessage(convId, r)));
      // With retention, an empty older bucket means everything older has expired too.
      if (msgs.length === 0 && this.ctx.ttl > 0 && b < bucketOf(before - 1)) break;
      cur = b * BUCKET_SIZE;
      b--;
    }
    return out;
  }

  async get(convId: string, seq: number): Promise<Message | null> {
    checkConvId(convId);
    checkSeq(seq);
    const row = (await this.ctx.exec(GET, [convId, bucketOf(seq), seq])).first();
    return row && row.get("sender_id") !== null ? toMessage(convId, row) : null;
  }

  async head(convId: string): Promise<number> {
    checkConvId(convId);
    return this.ctx.head(convId);
  }

  async recall(convId: string, seq: number): Promise<Message | null> {
    checkConvId(convId);
    checkSeq(seq);
    const b = bucketOf(seq);
    const row = (await this.ctx.exec(GET, [convId, b, seq])).first();
    if (!row || row.get("sender_id") === null) return null;
    const m = toMessage(convId, row);
    if (m.kind === "recalled") return m;
    // Keep the row's remaining lifetime: the marker expires with the message it replaces.
    const ttlLeft = this.ctx.ttl > 0 ? Math.max(1, num(row.get("body_ttl"))) : 0;
    await this.ctx.exec(RECALL, [ttlLeft, convId, b, seq]);
    await this.search?.unindex(convId, seq, m.body);
    return { ...m, kind: "recalled", body: "" };
  }
}
