/**
 * Group commit of appends. Appends to one conversation are queued per conversation inside the
 * process; one loop per conversation takes every pending append (up to a count/byte budget and
 * never across a bucket boundary) and commits them as ONE conditional batch on the partition
 * `(conv_id, bucket)`:
 *
 *   UPDATE messages SET last_seq = n+k WHERE … IF last_seq = n   (IF last_seq = null: new bucket)
 *   INSERT messages seq n+1 … n+k
 *
 * Seq reservation and message durability/visibility are one Paxos step: no holes, no message
 * visible before a lower seq. A lost race (another process moved the head) returns the current
 * `last_seq`; the loop retries from there. Then dedupe rows, sync-index bumps and the head hint
 * are written (off the critical path of the next batch) before the callers are resolved.
 *
 * Retries after a crash: a process can die after its batch committed but before its dedupe rows
 * were written; the client then retries the same (sender, clientMsgId), usually on another
 * process. So whenever this process learns that the head moved without it — it loads a head it
 * did not cache (cold), or loses a CAS race — it first reads the messages it has not seen (the
 * tail since its last known head, at most {@link TAIL_SCAN}) and settles queued appends that are
 * already stored as duplicates, writing their missing dedupe rows. A committed message is thus
 * never stored twice by a retry, whatever process the retry reaches.
 */
import { MagpieError } from "../../core/errors.ts";
import type { AppendInput } from "../../core/store.ts";
import type { Message } from "../../core/types.ts";
import { utf8Length } from "../../core/ids.ts";
import { bucketEnd, bucketOf, type Ctx, num, numOrNull } from "./context.ts";

/** Most messages in one conditional batch. */
export const MAX_BATCH = 128;
/** Most body bytes in one batch (Cassandra rejects batches over batch_size_fail_threshold). */
export const MAX_BATCH_BYTES = 256 * 1024;
/** CAS conflicts one append tolerates before failing with `unavailable`. */
const MAX_CONFLICTS = 200;
/** Messages read back when the head moved without this process (covers a dead writer's batches). */
export const TAIL_SCAN = 4 * MAX_BATCH;
/** Conversations whose queue (and cached head) is kept while idle. */
const MAX_IDLE_QUEUES = 50_000;

const UPD_FROM = "UPDATE {ks}.messages SET last_seq = ? WHERE conv_id = ? AND bucket = ? IF last_seq = ?";
const UPD_NEW = "UPDATE {ks}.messages SET last_seq = ? WHERE conv_id = ? AND bucket = ? IF last_seq = null";
const INSERT =
  "INSERT INTO {ks}.messages (conv_id, bucket, seq, sender_id, sender_device, client_msg_id, kind, body, created_at) " +
  "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?";
const DEDUPE = "INSERT INTO {ks}.dedupe (sender_id, client_msg_id, conv_id, seq) VALUES (?, ?, ?, ?) USING TTL ?";
const BUMP = "UPDATE {ks}.user_conv_seq USING TIMESTAMP ? AND TTL ? SET last_seq = ? WHERE user_id = ? AND conv_id = ?";
const HINT = "UPDATE {ks}.conversations USING TIMESTAMP ? SET last_seq_hint = ? WHERE conv_id = ?";
const PROBE = "SELECT sender_id, client_msg_id FROM {ks}.messages WHERE conv_id = ? AND bucket = ? AND seq = ?";
const TAIL =
  "SELECT seq, sender_id, sender_device, client_msg_id, kind, body, created_at FROM {ks}.messages " +
  "WHERE conv_id = ? AND bucket = ? AND seq > ? AND seq <= ?";

/** One CQL statement with its parameters (`{ks}` is replaced by the keyspace). */
export interface Statement {
  query: string;
  params: unknown[];
}

/** Most statements in one post-commit unlogged batch. */
const POST_BATCH = 250;

/** Outcome of a queued append. */
export interface Appended {
  message: Message;
  /** True when the message was already stored (found in the unseen tail). */
  duplicate: boolean;
}

interface Pending {
  input: AppendInput;
  bytes: number;
  conflicts: number;
  /** Seq this append may have landed at after an unknown outcome (timeout). */
  maybeAt?: number;
  resolve(a: Appended): void;
  reject(e: unknown): void;
}

interface ConvQueue {
  head: number | null;
  /** Seqs above this were written by someone else and not yet checked for our retries. */
  scanFrom: number | null;
  pending: Pending[];
  running: boolean;
}

/** Per-process group-commit writer. `onCommitted` runs synchronously after each commit. */
export class Appender {
  readonly #queues = new Map<string, ConvQueue>();
  /** Batches committed and messages in them (for benchmarks and metrics). */
  readonly stats = { batches: 0, messages: 0, conflicts: 0 };

  constructor(
    private readonly ctx: Ctx,
    private readonly onCommitted: (messages: Message[]) => void,
    /** Search-index rows of committed messages (written with the other post-commit rows). */
    private readonly postings?: (messages: Message[]) => Statement[],
  ) {}

  /** The head this process last saw for `convId` (a lower bound of the real head), or null. */
  cachedHead(convId: string): number | null {
    return this.#queues.get(convId)?.head ?? null;
  }

  /** Queues a validated append of an existing conversation; resolves once durable and indexed. */
  append(input: AppendInput): Promise<Appended> {
    let q = this.#queues.get(input.convId);
    if (!q) {
      q = { head: null, scanFrom: null, pending: [], running: false };
      this.#queues.set(input.convId, q);
    }
    const queue = q;
    return new Promise<Appended>((resolve, reject) => {
      queue.pending.push({ input, bytes: utf8Length(input.body) + 256, conflicts: 0, resolve, reject });
      if (!queue.running) void this.#run(input.convId, queue);
    });
  }

  async #run(convId: string, q: ConvQueue): Promise<void> {
    q.running = true;
    try {
      while (q.pending.length > 0) {
        try {
          await this.#step(convId, q);
        } catch (err) {
          // Could not even learn the head: fail what is queued, forget the cached head.
          q.head = null;
          for (const p of q.pending.splice(0)) p.reject(unavailable(err));
        }
      }
    } finally {
      q.running = false;
      // Bound memory: idle queues (only a cached head) are dropped once there are many.
      if (q.pending.length === 0 && this.#queues.size > MAX_IDLE_QUEUES) this.#queues.delete(convId);
    }
  }

  async #step(convId: string, q: ConvQueue): Promise<void> {
    if (q.head === null) {
      q.head = await this.ctx.discoverHead(convId, (await this.ctx.headHint(convId)) ?? 0);
      q.scanFrom = Math.min(q.scanFrom ?? Infinity, Math.max(0, q.head - TAIL_SCAN));
    }
    if (q.scanFrom !== null) {
      if (q.scanFrom < q.head) await this.#settleSeen(convId, q, Math.max(q.scanFrom, q.head - TAIL_SCAN), q.head);
      q.scanFrom = null;
      if (q.pending.length === 0) return;
    }
    const n = q.head;
    const bucket = bucketOf(n + 1);
    const room = bucketEnd(bucket) - n;
    const batch: Pending[] = [];
    let bytes = 0;
    while (q.pending.length > 0 && batch.length < Math.min(room, MAX_BATCH)) {
      const p = q.pending[0]!;
      if (batch.length > 0 && bytes + p.bytes > MAX_BATCH_BYTES) break;
      batch.push(q.pending.shift()!);
      bytes += p.bytes;
    }
    const now = Date.now();
    const messages: Message[] = batch.map((p, i) => ({
      convId, seq: n + 1 + i, senderId: p.input.senderId, senderDevice: p.input.senderDevice,
      clientMsgId: p.input.clientMsgId, kind: p.input.kind ?? "text", body: p.input.body, createdAt: now,
    }));
    const fresh = n === 0 || bucketOf(n) !== bucket;
    const last = n + batch.length;
    const queries = [
      fresh ? { query: UPD_NEW, params: [last, convId, bucket] } : { query: UPD_FROM, params: [last, convId, bucket, n] },
      ...messages.map((m) => ({
        query: INSERT,
        params: [convId, bucket, m.seq, m.senderId, m.senderDevice, m.clientMsgId, m.kind, m.body, m.createdAt, this.ctx.ttl],
      })),
    ];

    let applied: boolean;
    let current: number | null = null;
    try {
      const rs = await this.ctx.casBatch(queries);
      applied = rs.wasApplied();
      if (!applied) current = numOrNull(rs.first()?.get("last_seq"));
    } catch (err) {
      // Unknown outcome (e.g. CAS write timeout): settle it with a SERIAL read of seq n+1.
      this.ctx.log.warn("cassandra append: uncertain batch outcome", { convId, seq: n + 1, err: String(err) });
      applied = await this.#landed(convId, n + 1, batch[0]!);
      q.head = null;
      q.scanFrom = n;
      if (!applied) for (const [i, p] of batch.entries()) p.maybeAt = n + 1 + i;
    }

    if (!applied) {
      // Before retrying elsewhere, make sure an earlier uncertain attempt did not land after all.
      const first = batch[0]!;
      if (first.maybeAt !== undefined && (await this.#landed(convId, first.maybeAt, first))) {
        q.head = null;
        const landed = batch.filter((p) => p.maybeAt !== undefined);
        q.pending.unshift(...batch.filter((p) => p.maybeAt === undefined));
        const msgs = await Promise.all(landed.map((p) => this.#readBack(convId, p)));
        this.#finish(convId, landed, msgs);
        return;
      }
      this.stats.conflicts++;
      q.scanFrom = n;
      q.head = current ?? null;
      const retry: Pending[] = [];
      for (const p of batch) {
        if (++p.conflicts > MAX_CONFLICTS) p.reject(new MagpieError("unavailable", `append contention on ${convId}`));
        else retry.push(p);
      }
      q.pending.unshift(...retry);
      return;
    }

    if (q.head !== null) q.head = last;
    this.stats.batches++;
    this.stats.messages += batch.length;
    this.#finish(convId, batch, messages);
  }

  /** Records committed messages, then writes dedupe/index/hint rows and resolves the callers. */
  #finish(convId: string, batch: Pending[], messages: Message[]): void {
    this.onCommitted(messages);
    void this.#afterCommit(convId, batch, messages).then(
      () => batch.forEach((p, i) => p.resolve({ message: messages[i]!, duplicate: false })),
      (err) => batch.forEach((p) => p.reject(unavailable(err))),
    );
  }

  /**
   * Reads seqs (from, to] — written by another process — and resolves queued appends found there
   * as duplicates (after writing their dedupe rows, sync-index bumps and index entries).
   */
  async #settleSeen(convId: string, q: ConvQueue, from: number, to: number): Promise<void> {
    const stored = new Map<string, Message>();
    for (let b = bucketOf(from + 1); b <= bucketOf(to); b++) {
      const rs = await retry(() => this.ctx.exec(TAIL, [convId, b, from, to]));
      for (const r of rs.rows) {
        const m: Message = {
          convId, seq: num(r.get("seq")), senderId: String(r.get("sender_id")), senderDevice: String(r.get("sender_device")),
          clientMsgId: String(r.get("client_msg_id")), kind: (r.get("kind") as Message["kind"] | null) ?? "text",
          body: String(r.get("body") ?? ""), createdAt: num(r.get("created_at")),
        };
        stored.set(`${m.senderId}|${m.clientMsgId}`, m);
      }
    }
    if (stored.size === 0) return;
    const found: Pending[] = [];
    const msgs: Message[] = [];
    q.pending = q.pending.filter((p) => {
      const m = stored.get(`${p.input.senderId}|${p.input.clientMsgId}`);
      if (!m) return true;
      found.push(p);
      msgs.push(m);
      return false;
    });
    if (found.length === 0) return;
    this.onCommitted(msgs);
    try {
      await this.#afterCommit(convId, found, msgs);
      found.forEach((p, i) => p.resolve({ message: msgs[i]!, duplicate: true }));
    } catch (err) {
      found.forEach((p) => p.reject(unavailable(err)));
    }
  }

  /**
   * Writes everything that follows a commit — dedupe rows, sync-index bumps, the head hint and
   * the search postings — as UNLOGGED batches of up to {@link POST_BATCH} statements: one or a
   * few requests per group commit instead of one per row. Every statement is idempotent (same
   * values on retry), so a retried batch is harmless; atomicity across them is not needed
   * (a crash before they land is healed by the retry path: tail scan, re-bump, re-index).
   */
  async #afterCommit(convId: string, batch: Pending[], messages: Message[]): Promise<void> {
    const { ttl, dedupeTtl } = this.ctx;
    const writes: Statement[] = [];
    const bumps = new Map<string, number>();
    for (const [i, p] of batch.entries()) {
      const m = messages[i]!;
      writes.push({ query: DEDUPE, params: [m.senderId, m.clientMsgId, convId, m.seq, dedupeTtl] });
      for (const u of p.input.notify) bumps.set(u, Math.max(bumps.get(u) ?? 0, m.seq));
    }
    for (const [u, seq] of bumps) writes.push({ query: BUMP, params: [seq, ttl, seq, u, convId] });
    const top = messages.at(-1)!.seq;
    writes.push({ query: HINT, params: [top, top, convId] });
    if (this.postings) writes.push(...this.postings(messages));
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < writes.length; i += POST_BATCH) {
      const slice = writes.slice(i, i + POST_BATCH);
      jobs.push(retry(() => slice.length === 1 ? this.ctx.exec(slice[0]!.query, slice[0]!.params) : this.ctx.unloggedBatch(slice)));
    }
    await Promise.all(jobs);
  }

  async #landed(convId: string, seq: number, p: Pending): Promise<boolean> {
    const rs = await retry(() => this.ctx.exec(PROBE, [convId, bucketOf(seq), seq], { consistency: this.ctx.serial }));
    const row = rs.first();
    return !!row && row.get("sender_id") === p.input.senderId && row.get("client_msg_id") === p.input.clientMsgId;
  }

  async #readBack(convId: string, p: Pending): Promise<Message> {
    const seq = p.maybeAt!;
    const rs = await this.ctx.exec(
      "SELECT created_at FROM {ks}.messages WHERE conv_id = ? AND bucket = ? AND seq = ?", [convId, bucketOf(seq), seq],
      { consistency: this.ctx.serial },
    );
    const { input } = p;
    return {
      convId, seq, senderId: input.senderId, senderDevice: input.senderDevice, clientMsgId: input.clientMsgId,
      kind: input.kind ?? "text", body: input.body, createdAt: num(rs.first()?.get("created_at")) || Date.now(),
    };
  }
}

/** Runs `fn` up to 3 times (idempotent writes/reads only). */
export async function retry<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 50 * i));
    }
  }
}

function unavailable(err: unknown): MagpieError {
  if (err instanceof MagpieError) return err;
  return new MagpieError("unavailable", `cassandra: ${err instanceof Error ? err.message : String(err)}`);
}
