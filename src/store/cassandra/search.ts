/**
 * Full-text search on Cassandra: an inverted index in our own table (migration 005_search.cql),
 * because Cassandra 5.0's SAI cannot tokenize text.
 *
 *   search_postings ((conv_id, term, bucket), seq DESC) created_at, sender_id
 *
 * - Written by the appender after each group commit, before the callers are resolved (an ack
 *   means "indexed"), with the message TTL. Rows of one group commit that share a partition
 *   (same term) go in one UNLOGGED batch; the rest are concurrent single-row inserts.
 * - Deleted row by row on recall (the terms are recomputed from the recalled body).
 * - Queried per conversation, bucket by bucket from the newest: every lookup term's partition
 *   of that bucket is read in parallel (≤ 10 000 seqs each), intersected in memory, and the
 *   engine (src/search/engine.ts) merges conversations and verifies hits against the messages.
 */
import type { SearchQuery } from "../../core/store.ts";
import type { Message, MessageKind } from "../../core/types.ts";
import { runSearch, type Candidate, type CandidateFilter, type CandidateSource, type SearchBackend } from "../../search/engine.ts";
import { indexTerms } from "../../search/tokenize.ts";
import { retry } from "./appender.ts";
import { bucketOf, type Ctx, num } from "./context.ts";

const INSERT =
  "INSERT INTO {ks}.search_postings (conv_id, term, bucket, seq, created_at, sender_id) VALUES (?, ?, ?, ?, ?, ?) USING TTL ?";
const DELETE = "DELETE FROM {ks}.search_postings WHERE conv_id = ? AND term = ? AND bucket = ? AND seq = ?";
const SCAN =
  "SELECT seq, created_at, sender_id FROM {ks}.search_postings WHERE conv_id = ? AND term = ? AND bucket = ? AND seq > ? AND seq < ?";
const GET = "SELECT seq, sender_id, sender_device, client_msg_id, kind, body, created_at FROM {ks}.messages WHERE conv_id = ? AND bucket = ? AND seq = ?";

/** Requests in flight from the index writer/reader of one store (the driver allows 2 048 per connection). */
const MAX_IN_FLIGHT = 512;
/** Rows per unlogged batch (one partition). */
const MAX_BATCH_ROWS = 100;

/** A counting semaphore. */
class Gate {
  #free: number;
  #waiters: (() => void)[] = [];
  constructor(n: number) {
    this.#free = n;
  }
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((r) => this.#waiters.push(r));
    try {
      return await fn();
    } finally {
      const next = this.#waiters.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** Index maintenance and queries for one CassandraStore. */
export class CassandraSearch {
  readonly #gate = new Gate(MAX_IN_FLIGHT);
  /** Posting rows written (for benchmarks). */
  readonly stats = { rows: 0, messages: 0 };

  constructor(private readonly ctx: Ctx, readonly enabled = true) {}

  /** The posting rows of committed messages, for the appender's post-commit batch. */
  postings(messages: readonly Message[]): { query: string; params: unknown[] }[] {
    if (!this.enabled) return [];
    const out: { query: string; params: unknown[] }[] = [];
    for (const m of messages) {
      if (m.kind !== "text") continue;
      this.stats.messages++;
      const b = bucketOf(m.seq);
      for (const t of indexTerms(m.body)) {
        out.push({ query: INSERT, params: [m.convId, t, b, m.seq, m.createdAt, m.senderId, this.ctx.ttl] });
      }
    }
    this.stats.rows += out.length;
    return out;
  }

  /** Writes the postings of committed messages (one group commit). */
  async index(messages: readonly Message[]): Promise<void> {
    if (!this.enabled) return;
    const byTerm = new Map<string, Message[]>();
    for (const m of messages) {
      if (m.kind !== "text") continue;
      this.stats.messages++;
      for (const t of indexTerms(m.body)) {
        const list = byTerm.get(t);
        if (list) list.push(m);
        else byTerm.set(t, [m]);
      }
    }
    const ttl = this.ctx.ttl;
    const row = (t: string, m: Message) => [m.convId, t, bucketOf(m.seq), m.seq, m.createdAt, m.senderId, ttl];
    const jobs: Promise<unknown>[] = [];
    for (const [term, ms] of byTerm) {
      this.stats.rows += ms.length;
      // One partition per (conv, term, bucket): group by bucket too (a commit never spans buckets, but be safe).
      const parts = new Map<string, Message[]>();
      for (const m of ms) {
        const k = `${m.convId}|${bucketOf(m.seq)}`;
        (parts.get(k) ?? parts.set(k, []).get(k)!).push(m);
      }
      for (const part of parts.values()) {
        for (let i = 0; i < part.length; i += MAX_BATCH_ROWS) {
          const slice = part.slice(i, i + MAX_BATCH_ROWS);
          jobs.push(this.#gate.run(() => retry(() =>
            slice.length === 1
              ? this.ctx.exec(INSERT, row(term, slice[0]!))
              : this.ctx.client.batch(
                slice.map((m) => ({ query: INSERT.replaceAll("{ks}", this.ctx.ks), params: row(term, m) })),
                { prepare: true, logged: false, consistency: this.ctx.consistency },
              ))));
        }
      }
    }
    await Promise.all(jobs);
  }

  /** Deletes the postings of one message (recall); `body` is the text that was indexed. */
  async unindex(convId: string, seq: number, body: string): Promise<void> {
    const b = bucketOf(seq);
    await Promise.all(indexTerms(body).map((t) => this.#gate.run(() => retry(() => this.ctx.exec(DELETE, [convId, t, b, seq])))));
  }

  search(q: SearchQuery): Promise<Message[]> {
    return runSearch(this.#backend(), q);
  }

  #backend(): SearchBackend {
    return {
      parallel: 32,
      source: (convId, f) => this.#source(convId, f),
      load: (cands) => Promise.all(cands.map((c) => this.#gate.run(() => this.#get(c)))),
    };
  }

  async #get(c: Candidate): Promise<Message | null> {
    const r = (await this.ctx.exec(GET, [c.convId, bucketOf(c.seq), c.seq])).first();
    if (!r || r.get("sender_id") === null) return null;
    return {
      convId: c.convId, seq: num(r.get("seq")), senderId: String(r.get("sender_id")),
      senderDevice: String(r.get("sender_device")), clientMsgId: String(r.get("client_msg_id")),
      kind: (r.get("kind") as MessageKind | null) ?? "text", body: String(r.get("body") ?? ""), createdAt: num(r.get("created_at")),
    };
  }

  /** All rows of one posting partition in a seq range (paged by the driver). */
  async #scan(convId: string, term: string, bucket: number, lo: number, hi: number): Promise<Candidate[]> {
    const out: Candidate[] = [];
    let pageState: string | undefined;
    do {
      const rs = await this.#gate.run(() => this.ctx.exec(SCAN, [convId, term, bucket, lo, hi], { fetchSize: 5000, pageState }));
      for (const r of rs.rows) {
        out.push({ convId, seq: num(r.get("seq")), createdAt: num(r.get("created_at")), senderId: String(r.get("sender_id")) });
      }
      pageState = rs.pageState ?? undefined;
    } while (pageState);
    return out;
  }

  #source(convId: string, f: CandidateFilter): CandidateSource {
    let bucket: number | null = null;
    let top = Number.MAX_SAFE_INTEGER; // exclusive upper seq
    let done = false;
    const lowest = bucketOf(f.floorSeq + 1);
    return {
      next: async () => {
        if (done) return null;
        if (bucket === null) {
          const head = f.lastSeq ?? (await this.ctx.head(convId));
          top = head + 1;
          if (f.before && f.before.convId === convId) top = Math.min(top, f.before.seq);
          bucket = bucketOf(Math.max(top - 1, 0));
        }
        if (top - 1 <= f.floorSeq || bucket < lowest) {
          done = true;
          return null;
        }
        const b = bucket;
        const lists = await Promise.all(f.terms.map((t) => this.#scan(convId, t, b, f.floorSeq, top)));
        bucket--;
        if (bucket < lowest) done = true;
        lists.sort((x, y) => x.length - y.length);
        let cands = lists[0]!;
        for (const other of lists.slice(1)) {
          if (cands.length === 0) break;
          const seqs = new Set(other.map((c) => c.seq));
          cands = cands.filter((c) => seqs.has(c.seq));
        }
        // Older buckets hold older messages: once this bucket reaches below `since`, stop.
        if (f.since !== undefined && lists.some((l) => l.length > 0 && l[l.length - 1]!.createdAt < f.since!)) done = true;
        return cands;
      },
    };
  }
}
